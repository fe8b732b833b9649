namespace OrleansShare.Grains.Sharing;

/// <summary>Stored redemption state of one share token.</summary>
public sealed record ShareTokenState
{
    public RedemptionStatus Status { get; init; }
    public ImportPlan? Plan { get; init; }
    public DateTimeOffset? RedeemedAt { get; init; }
}
