using System.Collections.Immutable;

namespace OrleansShare.Grains.Entities;

[GenerateSerializer, Immutable, Alias("entities.EntityView")]
public sealed record EntityView(
    [property: Id(0)] string VendorData,
    [property: Id(1)] ImmutableArray<Guid> SessionIds,
    [property: Id(2)] DateTimeOffset CreatedAt);
