using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Gateway.Tokens;

/// <summary>The verified claims of a share token, and the key of its redemption grain.</summary>
internal sealed record ShareTokenClaims(
    Guid SessionId,
    SessionKind SessionKind,
    Guid FromApplicationId,
    Guid ForApplicationId,
    DateTimeOffset ExpiresAt,
    string RedemptionKey)
{
    /// <summary>Share governance: why the partner gets the record, and which sections (null: all).</summary>
    public string? Purpose { get; init; }

    public ImmutableArray<string>? Scope { get; init; }
}
