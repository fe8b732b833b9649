using System.Data.Common;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>Runs one batch of storage operations against one database dialect.</summary>
internal interface IBatchExecutor
{
    /// <summary>
    /// Runs <paramref name="operations"/> in order in one transaction and returns one outcome per operation, only
    /// once that transaction has committed. Throws when anything failed; nothing of the batch is then committed.
    /// </summary>
    Task<StorageOutcome[]> ExecuteAsync(IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the database refused a statement (a trigger, a constraint, a deadlock: one row's fault, worth
    /// retrying each operation alone) rather than being unreachable or out of resources (the whole batch fails).
    /// </summary>
    bool IsStatementError(DbException exception);
}
