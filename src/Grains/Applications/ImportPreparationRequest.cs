using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Applications;

/// <summary>What the importer must resolve before a share token is redeemed.</summary>
[GenerateSerializer, Immutable, Alias("applications.ImportPreparationRequest")]
public sealed record ImportPreparationRequest(
    [property: Id(0)] Guid? WorkflowId,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] Guid SourceApplicationId,
    [property: Id(3)] bool? TrustReview);
