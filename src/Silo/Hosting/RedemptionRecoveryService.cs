using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Finishes redemptions interrupted between their steps (a silo crash, a lost connection) without waiting for the
/// importer to call again, whether or not the token has expired since, and removes each row once its token grain has
/// settled it (the source's record, the clone and <c>redeemed</c> all stored, or nothing left to import). Every silo sweeps; the token
/// grain serializes and makes completion idempotent, so two silos finishing the same redemption do it once.
/// </summary>
internal sealed partial class RedemptionRecoveryService(
    PendingRedemptions pending,
    IGrainFactory grains,
    IOptions<RedemptionRecoveryOptions> options,
    TimeProvider time,
    ILogger<RedemptionRecoveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.RecoveryInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(settings.RecoveryMinimumAge, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>
    /// One sweep: drops the parts of settled redemptions, then has the token grain of each pending one whose first part
    /// landed more than <paramref name="minimumAge"/> ago finish it. The timer calls it; a test calls it right after a crash.
    /// </summary>
    internal async Task SweepAsync(TimeSpan minimumAge, CancellationToken ct)
    {
        await pending.RemoveSettledAsync(ct);
        foreach (var redemption in await pending.ListOlderThanAsync(minimumAge, options.Value.RecoveryBatchSize, ct))
        {
            ct.ThrowIfCancellationRequested();
            var status = await grains.Reference<IShareTokenGrain>(redemption.TokenKey).CompleteInterrupted(redemption.SourceSessionId, redemption.CloneSessionId);
            await pending.RemoveAsync(redemption.TokenKey, ct);
            LogFinished(logger, redemption.TokenKey, status);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Interrupted redemption of share token {TokenKey} finished: {Status}")]
    private static partial void LogFinished(ILogger logger, string tokenKey, RedemptionStatus status);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "The sweep for interrupted redemptions failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
