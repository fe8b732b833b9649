namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>Counters of one group-commit provider since the silo started; read them at any time.</summary>
public sealed class GroupCommitStatistics
{
    private long _transactions;
    private long _operations;
    private long _largestBatch;
    private long _batchesRetriedAlone;

    /// <summary>Transactions committed: one per batch, plus one per operation retried alone.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Operations whose transaction committed (a version conflict counts: it was answered).</summary>
    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>The most operations ever sent in one batch.</summary>
    public long LargestBatch => Interlocked.Read(ref _largestBatch);

    /// <summary>Batches in which a statement failed, so that each operation was then retried in a transaction of its own.</summary>
    public long BatchesRetriedAlone => Interlocked.Read(ref _batchesRetriedAlone);

    internal void RecordBatchSent(int operations)
    {
        long largest;
        while (operations > (largest = Interlocked.Read(ref _largestBatch))
               && Interlocked.CompareExchange(ref _largestBatch, operations, largest) != largest)
        {
        }
    }

    internal void RecordCommitted(int operations)
    {
        Interlocked.Increment(ref _transactions);
        Interlocked.Add(ref _operations, operations);
    }

    internal void RecordRetriedAlone() => Interlocked.Increment(ref _batchesRetriedAlone);
}
