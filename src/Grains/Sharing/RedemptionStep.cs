namespace OrleansShare.Grains.Sharing;

/// <summary>The points at which a redemption can be interrupted, in the order its three writes are sent.</summary>
[GenerateSerializer, Alias("sharing.RedemptionStep")]
public enum RedemptionStep
{
    /// <summary>The source's <c>imported_by_partner</c> was sent; neither the clone nor the token's <c>redeemed</c> was.</summary>
    SourceSent = 1,

    /// <summary>The source's record and the clone were sent; the token's <c>redeemed</c> was not.</summary>
    CloneSent = 2,
}
