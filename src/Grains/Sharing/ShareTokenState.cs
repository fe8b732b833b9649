using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Stored redemption state of one share token: written once, when the token is redeemed (a token never redeemed has
/// no row; the storage trigger knows the token by the row's key). <see cref="RedemptionStatus.Redeeming"/> is only
/// read: rows of earlier versions, which the next redemption of the same clone finishes.
/// </summary>
public sealed record ShareTokenState
{
    public RedemptionStatus Status { get; init; }
    public ImportPlan? Plan { get; init; }
    public DateTimeOffset? RedeemedAt { get; init; }
}
