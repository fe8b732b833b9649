using System.Collections.Immutable;

namespace OrleansShare.Grains.Entities;

/// <summary>Stored state of a user or business: the sessions recorded for its vendor_data.</summary>
public sealed record EntityState
{
    public DateTimeOffset CreatedAt { get; init; }
    public ImmutableArray<Guid> SessionIds { get; init; } = [];
}
