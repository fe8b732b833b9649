namespace OrleansShare.Grains.Applications;

/// <summary>An application as operators see it: no secrets.</summary>
[GenerateSerializer, Immutable, Alias("applications.ApplicationInfo")]
public sealed record ApplicationInfo(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] string Name,
    [property: Id(2)] Guid? OrganizationId,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] bool Deleted);
