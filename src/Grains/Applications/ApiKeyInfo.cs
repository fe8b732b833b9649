using System.Collections.Immutable;

namespace OrleansShare.Grains.Applications;

/// <summary>An API key of an application, without the key.</summary>
[GenerateSerializer, Immutable, Alias("applications.ApiKeyInfo")]
public sealed record ApiKeyInfo(
    [property: Id(0)] Guid ApiKeyId,
    [property: Id(1)] ImmutableArray<string> Privileges,
    [property: Id(2)] DateTimeOffset CreatedAt);
