using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// Runs on every silo: fans new outbox events out to their application's enabled, subscribed destinations, claims due
/// deliveries under a lease, posts them through <see cref="WebhookPoster"/> and records each attempt; a failed attempt
/// is retried with exponential backoff and jitter until <see cref="WebhookOptions.RetryFor"/> has passed. A session's
/// first event is attempted by <see cref="FirstEventHandoff"/> instead, and reaches this loop only as a retry or when
/// its silo never recorded it. Nothing here is on a request's path: an import or a decision only writes its event with
/// its session. At most <see cref="WebhookOptions.MaxConcurrency"/> posts are in flight per silo (<see cref="DeliverySlots"/>)
/// and <see cref="WebhookOptions.PerDestinationConcurrency"/> claimed ones per destination, so a destination that hangs
/// delays only its own.
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookOutbox outbox,
    IGrainFactory grains,
    WebhookPoster poster,
    DeliverySlots slots,
    IOptions<WebhookOptions> options,
    IMeterFactory meters,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>How often settled deliveries older than the retention are removed.</summary>
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromMinutes(10);

    private readonly WebhookOptions _settings = options.Value;
    private readonly PostsInFlight _inFlight = new();

    /// <summary>Released when attempts have been recorded (their leases cleared): the dispatcher may claim again at once.</summary>
    private readonly SemaphoreSlim _recorded = new(0, 1);

    /// <summary>Attempts made and not yet recorded; the recorder writes whatever has gathered in one transaction.</summary>
    private readonly Channel<(ClaimedDelivery Delivery, DeliveryAttempt Attempt)> _made =
        Channel.CreateUnbounded<(ClaimedDelivery, DeliveryAttempt)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The last backlog count (<see cref="WebhookOutbox.CountBacklogAsync"/>), and when it is next due.</summary>
    private long _backlog;
    private DateTimeOffset _nextBacklogCount;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // orleansshare_webhook_backlog once exported: what waits, cluster-wide, as this silo last counted it (every
        // silo reports the same figure; a dashboard takes their max). Counted every 20 polls (5 s by default).
        meters.Create(WebhookPoster.MeterName).CreateObservableGauge(
            "orleansshare_webhook_backlog", () => Volatile.Read(ref _backlog), unit: "{delivery}",
            description: "Webhook events and deliveries waiting to be delivered, cluster-wide");
        var recorder = RecordAsync(stoppingToken);
        var nextCleanup = time.GetUtcNow();
        try
        {
            do
            {
                try
                {
                    // A busy system records more events per poll than one batch: fan out until the outbox is drained.
                    while (await FanOutAsync(stoppingToken) == _settings.BatchSize)
                    {
                    }

                    await DispatchAsync(slots.Silo, stoppingToken);
                    if (time.GetUtcNow() >= _nextBacklogCount)
                    {
                        _nextBacklogCount = time.GetUtcNow() + (_settings.PollInterval * 20);
                        Volatile.Write(ref _backlog, await outbox.CountBacklogAsync(stoppingToken));
                    }

                    if (time.GetUtcNow() >= nextCleanup)
                    {
                        nextCleanup = time.GetUtcNow() + CleanupInterval;
                        await outbox.RemoveSettledAsync((time.GetUtcNow() - _settings.DeliveryRetention).ToUnixTimeMilliseconds(), stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogPassFailed(logger, ex);
                }
            }
            while (await NextPassAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Posts under way end with the host (their token is cancelled); a delivery they leave unrecorded keeps its lease
        // until it expires, and is then attempted again, by this silo after a restart or by another one.
        await _inFlight.WhenAll();
        _made.Writer.Complete();
        await recorder;
    }

    /// <summary>
    /// Waits for the next pass: the poll interval, or less when recorded attempts have freed their destinations' slots
    /// (a destination that answers quickly gets its next deliveries at once, not one concurrency's worth per poll).
    /// </summary>
    private async Task<bool> NextPassAsync(CancellationToken ct)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var woken = _recorded.WaitAsync(poll.Token);
        var polled = Task.Delay(_settings.PollInterval, time, poll.Token);
        await Task.WhenAny(woken, polled);
        await poll.CancelAsync();
        ct.ThrowIfCancellationRequested();
        return true;
    }

    /// <summary>
    /// Writes the attempts made, in batches of whatever gathered while the previous batch was being written: no timer,
    /// so an idle silo adds no latency, and a busy one spends one transaction on many attempts. A batch that fails to
    /// write is logged; its deliveries keep their leases and are attempted again when those expire.
    /// </summary>
    private async Task RecordAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(ClaimedDelivery, DeliveryAttempt)>();
        while (await _made.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < 1000 && _made.Reader.TryRead(out var made))
            {
                batch.Add(made);
            }

            try
            {
                await outbox.RecordAttemptsAsync(batch, CancellationToken.None);
                if (_recorded.CurrentCount == 0 && !stoppingToken.IsCancellationRequested)
                {
                    _recorded.Release();
                }
            }
            catch (Exception ex)
            {
                LogRecordFailed(logger, ex, batch.Count);
            }
        }
    }

    /// <summary>Fans out the oldest batch of events ready; returns how many there were.</summary>
    private async Task<int> FanOutAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var events = await outbox.ListEventsAsync(_settings.BatchSize, (now - FirstEventHandoff.Grace(_settings)).ToUnixTimeMilliseconds(), ct);
        if (events.Count == 0)
        {
            return 0;
        }

        var deliveries = new List<NewDelivery>();
        foreach (var application in events.GroupBy(e => e.ApplicationId))
        {
            var destinations = await grains.Reference<IApplicationGrain>(application.Key).ListWebhookDestinations();
            deliveries.AddRange(application.SelectMany(e => destinations.Where(d => d.Receives(e.EventType)).Select(d => new NewDelivery(e, d.DestinationId))));
        }

        var inserted = await outbox.FanOutAsync(events, deliveries, now.ToUnixTimeMilliseconds(), ct);
        LogFannedOut(logger, events.Count, inserted);
        return events.Count;
    }

    private async Task DispatchAsync(SemaphoreSlim slots, CancellationToken ct)
    {
        var free = slots.CurrentCount;
        if (free == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var lease = _settings.Timeout + TimeSpan.FromSeconds(30);
        var claimed = await outbox.ClaimAsync(
            Math.Min(free, _settings.BatchSize), _settings.PerDestinationConcurrency, now.ToUnixTimeMilliseconds(), (now + lease).ToUnixTimeMilliseconds(), ct);
        foreach (var delivery in claimed)
        {
            await slots.WaitAsync(ct);
            _inFlight.Add(DeliverAndReleaseAsync(delivery, slots, ct));
        }
    }

    private async Task DeliverAndReleaseAsync(ClaimedDelivery delivery, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await Task.Yield();
            _made.Writer.TryWrite((delivery, await AttemptAsync(delivery, ct)));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogDeliveryFailed(logger, ex, delivery.EventId, delivery.DestinationId);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<DeliveryAttempt> AttemptAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        var destination = await grains.Reference<IApplicationGrain>(delivery.ApplicationId).GetWebhookDestination(delivery.DestinationId);
        if (destination is not { Enabled: true })
        {
            return poster.Abandon(destination is null ? "The destination was deleted." : "The destination was disabled.");
        }

        var session = await grains.Reference<ISessionGrain>(delivery.SessionId).Get(delivery.ApplicationId);
        if (session is null)
        {
            return poster.Abandon("The session was deleted.");
        }

        return await poster.AttemptAsync(
            destination, delivery.EventId, delivery.EventType, delivery.Status, session, delivery.Attempts, delivery.CreatedAtMs, ct);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Fanned out {Events} webhook events into {Deliveries} deliveries")]
    private static partial void LogFannedOut(ILogger logger, int events, int deliveries);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning,
        Message = "Webhook event {EventId} to destination {DestinationId}: the attempt could not be made; it is retried when its lease expires")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid eventId, Guid destinationId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "A webhook dispatch pass failed; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning,
        Message = "{Count} webhook delivery attempts could not be recorded; their deliveries are attempted again when their leases expire")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, int count);
}
