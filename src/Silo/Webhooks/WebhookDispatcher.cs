using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// Runs on every silo: fans new outbox events out to their application's enabled, subscribed destinations, claims due
/// deliveries under a lease, posts them (signed, with a timeout) and records each attempt; a failed attempt is retried
/// with exponential backoff and jitter until <see cref="WebhookOptions.RetryFor"/> has passed. Nothing here is on a
/// request's path: an import or a decision only writes its event with its session. At most
/// <see cref="WebhookOptions.MaxConcurrency"/> posts are in flight per silo and
/// <see cref="WebhookOptions.PerDestinationConcurrency"/> per destination, so a destination that hangs delays only its own.
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookOutbox outbox,
    IGrainFactory grains,
    IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options,
    IConfiguration configuration,
    IMeterFactory meters,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The meter of OrleansShare's own instruments.</summary>
    public const string MeterName = "OrleansShare";

    public const string HttpClientName = "OrleansShare.Webhooks";

    /// <summary>How often settled deliveries older than the retention are removed.</summary>
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromMinutes(10);

    private readonly WebhookOptions _settings = options.Value;
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();
    private SemaphoreSlim? _slots;

    /// <summary>Released when attempts have been recorded (their leases cleared): the dispatcher may claim again at once.</summary>
    private readonly SemaphoreSlim _recorded = new(0, 1);

    /// <summary>Attempts made and not yet recorded; the recorder writes whatever has gathered in one transaction.</summary>
    private readonly Channel<(ClaimedDelivery Delivery, DeliveryAttempt Attempt)> _made =
        Channel.CreateUnbounded<(ClaimedDelivery, DeliveryAttempt)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>
    /// <c>orleansshare_webhook_deliveries_total{outcome}</c> once exported: one per attempt, outcome <c>delivered</c>,
    /// <c>retrying</c> or <c>failed</c>.
    /// </summary>
    private readonly Counter<long> _attempts = meters.Create(MeterName).CreateCounter<long>(
        "orleansshare_webhook_deliveries", description: "Webhook delivery attempts, by outcome");

    /// <summary>The last backlog count (<see cref="WebhookOutbox.CountBacklogAsync"/>), and when it is next due.</summary>
    private long _backlog;
    private DateTimeOffset _nextBacklogCount;

    private string PublicBaseUrl => configuration["Gateway:PublicBaseUrl"] is { Length: > 0 } configured ? configured : "http://localhost:8080";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _slots = new SemaphoreSlim(_settings.MaxConcurrency, _settings.MaxConcurrency);
        // orleansshare_webhook_backlog once exported: what waits, cluster-wide, as this silo last counted it (every
        // silo reports the same figure; a dashboard takes their max). Counted every 20 polls (5 s by default).
        meters.Create(MeterName).CreateObservableGauge(
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

                    await DispatchAsync(_slots, stoppingToken);
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
        await Task.WhenAll(_inFlight.Keys);
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
        var events = await outbox.ListEventsAsync(_settings.BatchSize, ct);
        if (events.Count == 0)
        {
            return 0;
        }

        var destinations = new Dictionary<Guid, IReadOnlyList<WebhookDestination>>();
        foreach (var applicationId in events.Select(e => e.ApplicationId).Distinct())
        {
            destinations[applicationId] = await grains.GetGrain<IApplicationGrain>(applicationId).ListWebhookDestinations();
        }

        var inserted = await outbox.FanOutAsync(
            events,
            e => [.. destinations[e.ApplicationId].Where(d => d.Receives(e.EventType)).Select(d => d.DestinationId)],
            time.GetUtcNow().ToUnixTimeMilliseconds(),
            ct);
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
            var task = DeliverAndReleaseAsync(delivery, slots, ct);
            _inFlight.TryAdd(task, true);
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task DeliverAndReleaseAsync(ClaimedDelivery delivery, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await Task.Yield();
            var attempt = await AttemptAsync(delivery, ct);
            _attempts.Add(1, new KeyValuePair<string, object?>("outcome", attempt.State == DeliveryStates.Pending ? "retrying" : attempt.State));
            _made.Writer.TryWrite((delivery, attempt));
            LogAttempt(logger, delivery.EventId, delivery.DestinationId, delivery.Attempts + 1, attempt.State, attempt.StatusCode);
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
        var destination = await grains.GetGrain<IApplicationGrain>(delivery.ApplicationId).GetWebhookDestination(delivery.DestinationId);
        if (destination is not { Enabled: true })
        {
            return Settled(DeliveryStates.Failed, null, destination is null ? "The destination was deleted." : "The destination was disabled.");
        }

        var session = await grains.GetGrain<ISessionGrain>(delivery.SessionId).Get(delivery.ApplicationId);
        if (session is null)
        {
            return Settled(DeliveryStates.Failed, null, "The session was deleted.");
        }

        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var body = WebhookPayload.Build(delivery.EventType, delivery.Status, session, PublicBaseUrl, timestamp);
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Webhook-Id", delivery.EventId.ToString());
        request.Headers.Add("X-Timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Signature-V2", WebhookSignature.Sign(destination.Secret, body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("OrleansShare-Webhooks", "1"));

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? Settled(DeliveryStates.Delivered, status, null)
                : Retry(delivery, status, $"The destination answered {status}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return Retry(delivery, null, ex is HttpRequestException ? $"The request failed: {ex.Message}" : "The destination did not answer in time.");
        }
    }

    private DeliveryAttempt Settled(string state, int? statusCode, string? error)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return new DeliveryAttempt(state, statusCode, error, now, now);
    }

    /// <summary>Pending again after a backoff that doubles per attempt (with jitter), or failed once the retry window has passed.</summary>
    private DeliveryAttempt Retry(ClaimedDelivery delivery, int? statusCode, string error)
    {
        var now = time.GetUtcNow();
        if (now - DateTimeOffset.FromUnixTimeMilliseconds(delivery.CreatedAtMs) >= _settings.RetryFor)
        {
            return Settled(DeliveryStates.Failed, statusCode, error);
        }

        var exponent = Math.Min(delivery.Attempts, 30);
        var delay = TimeSpan.FromTicks((long)Math.Min(_settings.RetryBaseDelay.Ticks * Math.Pow(2, exponent), _settings.RetryMaxDelay.Ticks));
        var jittered = delay * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return new DeliveryAttempt(DeliveryStates.Pending, statusCode, error, (now + jittered).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Fanned out {Events} webhook events into {Deliveries} deliveries")]
    private static partial void LogFannedOut(ILogger logger, int events, int deliveries);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug,
        Message = "Webhook event {EventId} to destination {DestinationId}, attempt {Attempt}: {State} ({StatusCode})")]
    private static partial void LogAttempt(ILogger logger, Guid eventId, Guid destinationId, int attempt, string state, int? statusCode);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning,
        Message = "Webhook event {EventId} to destination {DestinationId}: the attempt could not be made; it is retried when its lease expires")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid eventId, Guid destinationId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "A webhook dispatch pass failed; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning,
        Message = "{Count} webhook delivery attempts could not be recorded; their deliveries are attempted again when their leases expire")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, int count);
}
