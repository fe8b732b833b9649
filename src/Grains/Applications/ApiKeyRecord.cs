using System.Collections.Immutable;

namespace OrleansShare.Grains.Applications;

/// <summary>What an application remembers of each of its keys, so that it can revoke them.</summary>
public sealed record ApiKeyRecord(string GrainKey, ImmutableArray<string> Privileges, DateTimeOffset CreatedAt, bool Revoked);
