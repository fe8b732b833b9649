namespace OrleansShare.Grains.Sharing;

[GenerateSerializer, Alias("sharing.RedemptionStatus")]
public enum RedemptionStatus
{
    Unredeemed = 0,
    Redeeming = 1,
    Redeemed = 2,
}
