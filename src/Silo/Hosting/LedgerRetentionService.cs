using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Purges share ledger entries older than <see cref="RetentionOptions.LedgerDays"/>, once at start and then every
/// <see cref="RetentionOptions.PurgeInterval"/>. Every silo purges; deleting what another silo deleted is nothing.
/// </summary>
internal sealed partial class LedgerRetentionService(
    ShareLedgerQuery ledger,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<LedgerRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.PurgeInterval, time);
        do
        {
            try
            {
                var purged = await ledger.PurgeOlderThanAsync(time.GetUtcNow().AddDays(-settings.LedgerDays), stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged, settings.LedgerDays);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPurgeFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Purged {Count} share ledger entries older than {Days} days")]
    private static partial void LogPurged(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "The share ledger purge failed; the next one retries")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
