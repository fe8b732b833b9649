using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// Natural batching, with no timer: an operation that finds no batch at the database goes out at once (alone, if
/// it is alone); operations that arrive while a batch is out wait, and leave together as the next batch as soon as
/// it returns, up to the batch bounds. Outcomes are handed out only after the batch's transaction committed. If a
/// statement of a batch fails, the transaction is gone, and every operation of the batch is retried in a
/// transaction of its own, so one bad row fails alone. If the database cannot be reached, every operation of the
/// batch fails.
/// </summary>
internal sealed partial class CommitQueue(IBatchExecutor executor, GroupCommitOptions options, GroupCommitStatistics statistics, ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly Queue<StorageOperation> _pending = new();
    private int _inFlight;

    /// <summary>Queues <paramref name="operation"/> and returns its outcome once its transaction committed.</summary>
    public Task<StorageOutcome> RunAsync(StorageOperation operation)
    {
        bool start;
        lock (_gate)
        {
            _pending.Enqueue(operation);
            start = _inFlight < options.MaxBatchesInFlight;
            if (start)
            {
                _inFlight++;
            }
        }

        if (start)
        {
            // Off the caller's (the grain's) scheduler: batches run on the thread pool.
            _ = Task.Run(SendBatchesAsync);
        }

        return operation.Completion;
    }

    /// <summary>Sends batches until nothing waits. Never throws: every failure lands on the operations.</summary>
    private async Task SendBatchesAsync()
    {
        while (TakeBatch() is { Count: > 0 } batch)
        {
            statistics.RecordBatchSent(batch.Count);
            try
            {
                Complete(batch, await executor.ExecuteAsync(batch, CancellationToken.None));
            }
            catch (DbException ex) when (batch.Count > 1 && executor.IsStatementError(ex))
            {
                LogBatchRetriedAlone(logger, ex, batch.Count);
                statistics.RecordRetriedAlone();
                foreach (var operation in batch)
                {
                    await SendAloneAsync(operation);
                }
            }
            catch (Exception ex)
            {
                LogBatchFailed(logger, ex, batch.Count);
                foreach (var operation in batch)
                {
                    operation.Fail(StorageFailure(operation, ex));
                }
            }
        }
    }

    private async Task SendAloneAsync(StorageOperation operation)
    {
        try
        {
            Complete([operation], await executor.ExecuteAsync([operation], CancellationToken.None));
        }
        catch (Exception ex)
        {
            LogOperationFailed(logger, ex, operation.Kind, operation.Key.ToString());
            operation.Fail(StorageFailure(operation, ex));
        }
    }

    private void Complete(List<StorageOperation> batch, StorageOutcome[] outcomes)
    {
        statistics.RecordCommitted(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Complete(outcomes[i]);
        }
    }

    /// <summary>The next batch: the oldest waiting operations within the bounds, or none (and this sender stops).</summary>
    private List<StorageOperation> TakeBatch()
    {
        lock (_gate)
        {
            var batch = new List<StorageOperation>(Math.Min(_pending.Count, options.MaxBatchOperations));
            var bytes = 0L;
            while (batch.Count < options.MaxBatchOperations
                   && _pending.TryPeek(out var next)
                   && (batch.Count == 0 || bytes + next.Size <= options.MaxBatchBytes))
            {
                batch.Add(_pending.Dequeue());
                bytes += next.Size;
            }

            if (batch.Count == 0)
            {
                _inFlight--;
            }

            return batch;
        }
    }

    /// <summary>
    /// What the grain gets when its operation did not complete: an <see cref="OrleansException"/>, which every host
    /// can deserialize and the gateway answers with 503, carrying the database's message but not its exception.
    /// </summary>
    private static OrleansException StorageFailure(StorageOperation operation, Exception exception) =>
        new($"Grain storage could not {operation.Kind.ToString().ToLowerInvariant()} {operation.Key}: {exception.GetType().Name}: {exception.Message}");
}
