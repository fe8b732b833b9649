using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// The single-redemption guard of one share token, keyed by <see cref="ShareTokenKey"/>. Not reentrant:
/// concurrent imports of one token queue behind each other, and ETag-checked writes stop a second activation.
/// </summary>
[Alias("sharing.IShareTokenGrain")]
public interface IShareTokenGrain : IGrainWithStringKey
{
    [Alias("redeem")]
    [RetrySafe]
    Task<RedeemResult> Redeem(RedeemRequest request);

    /// <summary>
    /// Completes a redemption of <paramref name="sourceSessionId"/> of which some writes landed and some did not (the
    /// recovery sweep calls it; <paramref name="cloneSessionId"/> when the clone's write is known to have landed):
    /// afterwards the source's record, the clone and <c>redeemed</c> are all stored, or (when the source went away
    /// before a clone was made) nothing was imported and the token is left unredeemed.
    /// </summary>
    [Alias("complete-interrupted")]
    [RetrySafe]
    Task<RedemptionStatus> CompleteInterrupted(Guid sourceSessionId, Guid? cloneSessionId);

    [Alias("get-status")]
    [RetrySafe]
    Task<RedemptionStatus> GetStatus();
}
