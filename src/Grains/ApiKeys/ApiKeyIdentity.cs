using System.Collections.Immutable;

namespace OrleansShare.Grains.ApiKeys;

/// <summary>Who an API key speaks for.</summary>
[GenerateSerializer, Immutable, Alias("apikeys.ApiKeyIdentity")]
public sealed record ApiKeyIdentity(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] Guid ApiKeyId,
    [property: Id(2)] ImmutableArray<string> Privileges);
