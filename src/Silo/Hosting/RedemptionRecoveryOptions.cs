namespace OrleansShare.Silo.Hosting;

/// <summary>The <c>Redemptions</c> section: how silos find and finish interrupted redemptions.</summary>
public sealed class RedemptionRecoveryOptions
{
    public const string SectionName = "Redemptions";

    /// <summary><c>Redemptions__RecoveryInterval</c>: how often each silo looks for interrupted redemptions.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// <c>Redemptions__RecoveryMinimumAge</c>: how old a begun redemption must be before a sweep finishes it (one in
    /// flight finishes by itself within milliseconds). An interrupted one is finished within the sum of the two.
    /// </summary>
    public TimeSpan RecoveryMinimumAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many redemptions are finished per sweep; the rest wait for the next one.</summary>
    public int RecoveryBatchSize { get; set; } = 200;
}
