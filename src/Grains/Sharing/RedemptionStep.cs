namespace OrleansShare.Grains.Sharing;

/// <summary>The points at which a redemption can be interrupted, in order.</summary>
[GenerateSerializer, Alias("sharing.RedemptionStep")]
public enum RedemptionStep
{
    /// <summary>The source recorded <c>imported_by_partner</c> with the plan; neither the clone nor the token is written.</summary>
    SourceRecorded = 1,

    /// <summary>The clone's write was sent; the token's <c>redeemed</c> was not.</summary>
    CloneSent = 2,
}
