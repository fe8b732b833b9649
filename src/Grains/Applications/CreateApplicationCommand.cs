using System.Collections.Immutable;

namespace OrleansShare.Grains.Applications;

/// <summary>Creates an application with its first API key (given only as its grain key, the hash).</summary>
[GenerateSerializer, Immutable, Alias("applications.CreateApplicationCommand")]
public sealed record CreateApplicationCommand(
    [property: Id(0)] string Name,
    [property: Id(1)] Guid? OrganizationId,
    [property: Id(2)] Guid ApiKeyId,
    [property: Id(3)] string ApiKeyGrainKey,
    [property: Id(4)] ImmutableArray<string> Privileges);
