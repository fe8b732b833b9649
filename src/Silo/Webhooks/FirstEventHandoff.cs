using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// The first attempts of sessions' first events (an import's <c>status.updated</c> above all), made by the silo whose
/// session grain stored them, as soon as they are stored: the session and its application's destinations are at hand,
/// so an event costs no poll, no outbox read, no claim and no second session read, only its post and then one shared
/// transaction that removes it from the outbox and records its delivery with the outcome. A delivery that failed is
/// retried by <see cref="WebhookDispatcher"/> like any other. An event for several destinations is fanned out pending
/// at once instead, so that one destination that hangs holds back none of the others.
/// </summary>
/// <remarks>
/// Until <see cref="Grace"/> after it was stored, the outbox leaves a first event to this path; an event this silo did
/// not post (several destinations, its destination's slots all taken) is recorded as pending at once, and one it took but never
/// recorded (the silo gone, the database unreachable) is fanned out by any silo once the grace has passed, to be
/// delivered again with the same <c>X-Webhook-Id</c>.
/// </remarks>
internal sealed partial class FirstEventHandoff(
    WebhookOutbox outbox,
    IGrainFactory grains,
    WebhookPoster poster,
    DeliverySlots slots,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<FirstEventHandoff> logger) : BackgroundService, IFirstEventHandoff
{
    /// <summary>First events waiting for their attempts; past this, an event is left to the outbox.</summary>
    private const int QueueLimit = 10_000;

    /// <summary>How long the recorder gathers attempted events before it writes them: fewer, larger transactions.</summary>
    private static readonly TimeSpan RecordLinger = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long an application's destinations are taken as read. A change made through this silo is seen at once; one
    /// made through another silo reaches this silo's first attempts within this time (an event of a destination created
    /// there in that second is fanned out from the outbox after the grace).
    /// </summary>
    private static readonly TimeSpan DestinationsFor = TimeSpan.FromSeconds(1);

    private readonly WebhookOptions _settings = options.Value;
    private readonly ConcurrentDictionary<Guid, (ImmutableArray<WebhookDestination> Destinations, DateTimeOffset Until)> _destinations = new();
    private readonly PostsInFlight _inFlight = new();

    private readonly Channel<(SessionView Session, SessionEvent Event)> _handed =
        Channel.CreateBounded<(SessionView, SessionEvent)>(new BoundedChannelOptions(QueueLimit) { SingleReader = true });

    /// <summary>Events whose first attempts are made (or that need none), to be recorded together.</summary>
    private readonly Channel<(OutboxEvent Event, NewDelivery[] Deliveries)> _attempted =
        Channel.CreateUnbounded<(OutboxEvent, NewDelivery[])>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>How long the outbox leaves a first event to the silo that stored it: one attempt's timeout and 30 s to record it.</summary>
    public static TimeSpan Grace(WebhookOptions settings) => settings.Timeout + TimeSpan.FromSeconds(30);

    public void Stored(SessionView session, SessionEvent sessionEvent) => _handed.Writer.TryWrite((session, sessionEvent));

    public void DestinationsChanged(Guid applicationId) => _destinations.TryRemove(applicationId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recorder = RecordAsync();
        var batch = new List<(SessionView Session, SessionEvent Event)>();
        try
        {
            while (await _handed.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < _settings.BatchSize && _handed.Reader.TryRead(out var handed))
                {
                    batch.Add(handed);
                }

                try
                {
                    await AttemptAsync(batch, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogHandoffFailed(logger, ex, batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Attempts under way end with the host; what they leave unrecorded is fanned out once the grace has passed.
        await _inFlight.WhenAll();
        _attempted.Writer.Complete();
        await recorder;
    }

    /// <summary>Starts the attempts of a batch of first events, asking each application for its destinations once.</summary>
    private async Task AttemptAsync(List<(SessionView Session, SessionEvent Event)> batch, CancellationToken ct)
    {
        foreach (var application in batch.GroupBy(h => h.Session.ApplicationId))
        {
            var destinations = await DestinationsAsync(application.Key);
            if (destinations.IsEmpty)
            {
                // The outbox keeps no event of an application without destinations (migration 011's subscriber rows).
                continue;
            }

            foreach (var (session, stored) in application)
            {
                var e = new OutboxEvent(
                    stored.EventId, session.ApplicationId, session.SessionId, stored.Sequence, stored.Type, stored.Status,
                    stored.OccurredAt.ToUnixTimeMilliseconds());
                var targets = destinations.Where(d => d.Receives(e.EventType)).ToList();
                if (targets is [var only] && slots.TryTakeFirstAttempt(only.DestinationId))
                {
                    _inFlight.Add(PostAsync(e, session, only, ct));
                }
                else
                {
                    // None subscribed: removed with no delivery. Its one destination without a free slot, or several
                    // destinations (one that hangs must not hold back the others' next events of this session, which
                    // wait for this one to leave the outbox): pending at once, each claimed on its own.
                    _attempted.Writer.TryWrite((e, [.. targets.Select(d => new NewDelivery(e, d.DestinationId))]));
                }
            }
        }
    }

    /// <summary>
    /// An application's destinations as its grain gave them at most <see cref="DestinationsFor"/> ago: the importer's
    /// application grain, which every import calls, is not called again per event.
    /// </summary>
    private async ValueTask<ImmutableArray<WebhookDestination>> DestinationsAsync(Guid applicationId)
    {
        var now = time.GetUtcNow();
        if (_destinations.TryGetValue(applicationId, out var known) && known.Until > now)
        {
            return known.Destinations;
        }

        if (_destinations.Count >= 10_000)
        {
            _destinations.Clear();
        }

        var destinations = await grains.Reference<IApplicationGrain>(applicationId).ListWebhookDestinations();
        _destinations[applicationId] = (destinations, now + DestinationsFor);
        return destinations;
    }

    /// <summary>Posts <paramref name="e"/> to <paramref name="destination"/> (its slot taken), then hands the outcome to the recorder.</summary>
    private async Task PostAsync(OutboxEvent e, SessionView session, WebhookDestination destination, CancellationToken ct)
    {
        await Task.Yield();
        NewDelivery delivery;
        try
        {
            var attempt = await poster.AttemptAsync(
                destination, e.EventId, e.EventType, e.Status, session, 0, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
            delivery = new NewDelivery(e, destination.DestinationId, attempt);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The host is stopping: the event stays in the outbox, fanned out once the grace has passed.
            return;
        }
        catch (Exception ex)
        {
            // Not attempted after all: pending, due at once.
            LogAttemptFailed(logger, ex, e.EventId, destination.DestinationId);
            delivery = new NewDelivery(e, destination.DestinationId);
        }
        finally
        {
            slots.ReturnFirstAttempt(destination.DestinationId);
        }

        _attempted.Writer.TryWrite((e, [delivery]));
    }

    /// <summary>
    /// Records attempted events in batches of whatever gathered in <see cref="RecordLinger"/> after the first of them
    /// (and while the previous batch was being written): each event is removed from the outbox and its deliveries
    /// inserted with their outcomes, all in one transaction. Nothing waits on the record but the outbox row itself.
    /// </summary>
    private async Task RecordAsync()
    {
        var events = new List<OutboxEvent>();
        var deliveries = new List<NewDelivery>();
        while (await _attempted.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await Task.Delay(RecordLinger, time);
            events.Clear();
            deliveries.Clear();
            while (events.Count < 1000 && _attempted.Reader.TryRead(out var attempted))
            {
                events.Add(attempted.Event);
                deliveries.AddRange(attempted.Deliveries);
            }

            try
            {
                await outbox.FanOutAsync(events, deliveries, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogRecordFailed(logger, ex, events.Count);
            }
        }
    }

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning,
        Message = "{Count} first webhook events could not be attempted here; they are fanned out from the outbox once their grace has passed")]
    private static partial void LogHandoffFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning,
        Message = "Webhook event {EventId} to destination {DestinationId}: the first attempt could not be made; it is recorded as pending")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, Guid eventId, Guid destinationId);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning,
        Message = "The first attempts of {Count} webhook events could not be recorded; they are fanned out from the outbox once their grace has passed, and delivered again with the same X-Webhook-Id")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, int count);
}
