using System.Collections.Immutable;

namespace OrleansShare.Grains.ApiKeys;

/// <summary>Stored state of one API key, keyed by the hash of the key; the key itself is never stored.</summary>
public sealed record ApiKeyState
{
    public Guid ApplicationId { get; init; }
    public Guid ApiKeyId { get; init; }
    public ImmutableArray<string> Privileges { get; init; } = [];
    public bool Revoked { get; init; }
}
