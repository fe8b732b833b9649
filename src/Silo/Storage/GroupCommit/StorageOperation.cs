using OrleansShare.Grains.Sessions;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// One grain's read, write or clear, waiting for its batch. Its task completes only after the batch's transaction
/// has committed (or failed), and never on the thread that completes it.
/// </summary>
internal sealed class StorageOperation(StorageOperationKind kind, StorageKey key, int? expectedVersion, byte[]? payload)
{
    private readonly TaskCompletionSource<StorageOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StorageOperationKind Kind { get; } = kind;

    public StorageKey Key { get; } = key;

    /// <summary>The version the grain holds (its ETag); null before its first write.</summary>
    public int? ExpectedVersion { get; } = expectedVersion;

    /// <summary>The serialized state of a write; null for reads and clears.</summary>
    public byte[]? Payload { get; } = payload;

    /// <summary>
    /// A session write's rows beside grain state, for a writer that sends them itself (PostgreSQL); null for other
    /// grains, and ignored where the storage triggers derive them (SQLite).
    /// </summary>
    public SessionRows? Rows { get; init; }

    /// <summary>The session's index row is the one this activation last read or wrote: the write need not touch it.</summary>
    public bool IndexUnchanged { get; init; }

    /// <summary>What this operation counts against a batch's byte bound: its payload and its key.</summary>
    public int Size => (Payload?.Length ?? 0) + (Key.Extension?.Length ?? 0) + Key.StateName.Length + 64;

    public Task<StorageOutcome> Completion => _completion.Task;

    public void Complete(StorageOutcome outcome) => _completion.TrySetResult(outcome);

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}
