namespace OrleansShare.Grains.Sharing;

/// <summary>Production: redemptions run to the end.</summary>
public sealed class NoRedemptionInterruptions : IRedemptionInterruptions
{
    public void After(RedemptionStep step, string tokenKey)
    {
    }
}
