namespace OrleansShare.Silo.Hosting;

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// <c>Storage__DataDirectory</c>: embedded-mode folder for the SQLite database and generated secrets, created readable
    /// by its owner only; a relative path is taken from the directory the host was started from.
    /// </summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// <c>Storage__GroupCommit</c>: grain reads and writes that arrive while a batch is at the database share one round
    /// trip and one transaction (<c>GroupCommitGrainStorage</c>); <c>false</c> uses the stock Orleans ADO.NET provider.
    /// Both read and write the same rows, so the setting can change between restarts.
    /// </summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>
    /// <c>Storage__BatchesInFlight</c>: group-commit batches a silo has at the database at once. More than one lets
    /// the database work on several batches in parallel (each on its own connection) instead of one backend at a time.
    /// </summary>
    public int BatchesInFlight { get; set; } = 1;

    public const string DatabaseFileName = "orleansshare.db";
}
