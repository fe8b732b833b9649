namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>Bounds of one group-commit batch; what does not fit waits for the next batch.</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Operations (reads, writes, clears) in one batch at most.</summary>
    public int MaxBatchOperations { get; set; } = 256;

    /// <summary>
    /// Bytes of payload (and keys) in one batch at most; a single larger operation still goes out, alone.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Batches at the database at once. One gives the largest batches (everything that arrives while a batch is
    /// out waits for it); more can help when the round trip, not the database's CPU, is the limit.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = 1;
}
