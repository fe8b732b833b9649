using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Stored redemption state of one share token: written once, when the token is redeemed (a token never redeemed has
/// no row). <see cref="TokenKey"/> lets the storage trigger clear the token's <c>pending_redemption</c> row.
/// <see cref="RedemptionStatus.Redeeming"/> is only read: rows of earlier versions, completed as planned.
/// </summary>
public sealed record ShareTokenState
{
    public RedemptionStatus Status { get; init; }
    public string? TokenKey { get; init; }
    public ImportPlan? Plan { get; init; }
    public DateTimeOffset? RedeemedAt { get; init; }
}
