using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Applications;

/// <summary>
/// What the importer must resolve before a share token is redeemed; <see cref="DecidedAt"/> and
/// <see cref="DocumentExpired"/> are the source's facts its freshness rule needs.
/// </summary>
[GenerateSerializer, Immutable, Alias("applications.ImportPreparationRequest")]
public sealed record ImportPreparationRequest(
    [property: Id(0)] Guid? WorkflowId,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] Guid SourceApplicationId,
    [property: Id(3)] bool? TrustReview,
    [property: Id(4)] DateTimeOffset DecidedAt = default,
    [property: Id(5)] bool DocumentExpired = false);
