namespace OrleansShare.Grains.Applications;

/// <summary>Whether imports from a source application keep the source decision by default.</summary>
[GenerateSerializer, Immutable, Alias("applications.TrustPolicyInfo")]
public sealed record TrustPolicyInfo(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] bool TrustReview,
    [property: Id(2)] DateTimeOffset UpdatedAt);
