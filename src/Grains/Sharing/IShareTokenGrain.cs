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
    /// Completes a redemption that the source <paramref name="sourceSessionId"/> recorded and that never finished (the
    /// recovery sweep calls it): afterwards the token is redeemed with its clone, or (when the source went away before
    /// a clone was made) nothing was imported and the token is left unredeemed.
    /// </summary>
    [Alias("complete-interrupted")]
    [RetrySafe]
    Task<RedemptionStatus> CompleteInterrupted(Guid sourceSessionId);

    [Alias("get-status")]
    [RetrySafe]
    Task<RedemptionStatus> GetStatus();
}
