namespace OrleansShare.Silo.Hosting;

/// <summary>The <c>Retention</c> section: how long the share ledger is kept.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>
    /// <c>Retention__LedgerDays</c>: ledger entries of tokens minted longer ago than this are purged (default 1,825 days,
    /// five years: AML record-keeping rules commonly ask for five years after the relationship ends).
    /// </summary>
    public int LedgerDays { get; set; } = 1825;

    /// <summary><c>Retention__PurgeInterval</c>: how often each silo purges (the purge is idempotent across silos).</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);
}
