namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Called after each durable step of a redemption. Production registers <see cref="NoRedemptionInterruptions"/>;
/// fault tests register one that throws after a chosen step, as a crash there would stop the redemption.
/// </summary>
public interface IRedemptionInterruptions
{
    void After(RedemptionStep step, string tokenKey);
}
