namespace OrleansShare.Silo.Hosting;

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Storage__DataDirectory</c>: embedded-mode folder for the SQLite database and generated secrets.</summary>
    public string DataDirectory { get; set; } = "./data";

    public const string DatabaseFileName = "orleansshare.db";
}
