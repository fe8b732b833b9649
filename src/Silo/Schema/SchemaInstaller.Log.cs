using Microsoft.Extensions.Logging;

namespace OrleansShare.Silo.Schema;

public static partial class SchemaInstaller
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Debug,
        Message = "Checking {ScriptCount} embedded {Dialect} schema scripts")]
    private static partial void LogApplying(ILogger logger, string dialect, int scriptCount);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information,
        Message = "Applied schema migration {Migration} ({Dialect})")]
    private static partial void LogApplied(ILogger logger, string migration, string dialect);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information,
        Message = "{Dialect} schema is up to date: {AppliedCount} of {ScriptCount} migrations applied by this host")]
    private static partial void LogUpToDate(ILogger logger, string dialect, int appliedCount, int scriptCount);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Error,
        Message = "Schema migration {Migration} ({Dialect}) failed; nothing of it was kept")]
    private static partial void LogFailed(ILogger logger, Exception exception, string migration, string dialect);
}
