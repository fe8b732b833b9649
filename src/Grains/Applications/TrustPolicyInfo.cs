namespace OrleansShare.Grains.Applications;

/// <summary>Whether imports from a source application keep the source decision by default.</summary>
[GenerateSerializer, Immutable, Alias("applications.TrustPolicyInfo")]
public sealed record TrustPolicyInfo(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] bool TrustReview,
    [property: Id(2)] DateTimeOffset UpdatedAt)
{
    /// <summary>Policies one application may hold: its state, and the list that answers them, stay bounded.</summary>
    public const int MaxPerApplication = 1000;
}

public enum TrustPolicyRefusal
{
    None,
    UnknownSource,
    TooMany,
}

/// <summary>The outcome of setting a trust policy: the policy, or the reason it was refused.</summary>
[GenerateSerializer, Immutable, Alias("applications.TrustPolicyChange")]
public sealed record TrustPolicyChange(
    [property: Id(0)] TrustPolicyInfo? Policy,
    [property: Id(1)] TrustPolicyRefusal Refusal);
