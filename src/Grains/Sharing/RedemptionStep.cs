namespace OrleansShare.Grains.Sharing;

/// <summary>The durable steps of a redemption, in order: the points at which one can be interrupted.</summary>
[GenerateSerializer, Alias("sharing.RedemptionStep")]
public enum RedemptionStep
{
    /// <summary>The source recorded <c>imported_by_partner</c> with the plan.</summary>
    SourceRecorded = 1,

    /// <summary>The clone exists; only the token's <c>redeemed</c> is missing.</summary>
    CloneCreated = 2,
}
