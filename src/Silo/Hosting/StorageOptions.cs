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

    /// <summary>
    /// <c>Storage__EncryptionKeys__&lt;kid&gt;</c>: master keys of encryption at rest (base64 of 32 random bytes each), by key
    /// id (1 to 64 letters, digits, '-' or '_', case-insensitive). Every one decrypts; <see cref="EncryptionKeyId"/>
    /// encrypts. Embedded mode generates one in the data folder when none is set. None in a cluster: sessions are
    /// stored in clear (and the silo logs a warning).
    /// </summary>
    public Dictionary<string, string> EncryptionKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>Storage__EncryptionKeyId</c>: the key id of <see cref="EncryptionKeys"/> new data keys are wrapped with (the
    /// newest); may be left out when only one key is set.
    /// </summary>
    public string? EncryptionKeyId { get; set; }

    public const string DatabaseFileName = "orleansshare.db";
}
