namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>What one queued storage operation does to its row.</summary>
internal enum StorageOperationKind
{
    /// <summary>Returns the payload and version (a new activation's first read).</summary>
    Read,

    /// <summary>Inserts version 1 when there is no version and no row; else updates when the version still matches.</summary>
    Write,

    /// <summary>Sets the payload to NULL and bumps the version when the version still matches (the row stays).</summary>
    Clear,
}
