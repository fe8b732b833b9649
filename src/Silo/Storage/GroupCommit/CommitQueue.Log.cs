using Microsoft.Extensions.Logging;

namespace OrleansShare.Silo.Storage.GroupCommit;

internal sealed partial class CommitQueue
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning,
        Message = "A statement of a group-commit batch of {OperationCount} operations failed; retrying each operation alone")]
    private static partial void LogBatchRetriedAlone(ILogger logger, Exception exception, int operationCount);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Error,
        Message = "A group-commit batch of {OperationCount} operations failed; none of them was committed")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int operationCount);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Error,
        Message = "Grain storage {Kind} of {Grain} failed")]
    private static partial void LogOperationFailed(ILogger logger, Exception exception, StorageOperationKind kind, string grain);
}
