using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// Makes one delivery attempt: builds the body from the session as it is now, signs it, posts it through the webhook
/// client (its resilience pipeline bounds the attempt by <see cref="WebhookOptions.Timeout"/>) and gives the delivery's
/// next state: <c>delivered</c>, <c>pending</c> again after a backoff that doubles per attempt (with jitter), or
/// <c>failed</c> once <see cref="WebhookOptions.RetryFor"/> has passed since the event.
/// </summary>
internal sealed partial class WebhookPoster(
    IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options,
    IConfiguration configuration,
    IMeterFactory meters,
    TimeProvider time,
    ILogger<WebhookPoster> logger)
{
    /// <summary>The meter of OrleansShare's own instruments.</summary>
    public const string MeterName = "OrleansShare";

    public const string HttpClientName = "OrleansShare.Webhooks";

    private readonly WebhookOptions _settings = options.Value;

    /// <summary>
    /// <c>orleansshare_webhook_deliveries_total{outcome}</c> once exported: one per attempt, outcome <c>delivered</c>,
    /// <c>retrying</c> or <c>failed</c>.
    /// </summary>
    private readonly Counter<long> _attempts = meters.Create(MeterName).CreateCounter<long>(
        "orleansshare_webhook_deliveries", description: "Webhook delivery attempts, by outcome");

    private string PublicBaseUrl => configuration["Gateway:PublicBaseUrl"] is { Length: > 0 } configured ? configured : "http://localhost:8080";

    /// <summary>
    /// Posts event <paramref name="eventId"/> of <paramref name="session"/> to <paramref name="destination"/>;
    /// <paramref name="attemptsBefore"/> and <paramref name="createdAtMs"/> (when the delivery was made) set the backoff.
    /// </summary>
    public async Task<DeliveryAttempt> AttemptAsync(
        WebhookDestination destination, Guid eventId, string eventType, string status, SessionView session, int attemptsBefore, long createdAtMs,
        CancellationToken ct)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var body = WebhookPayload.Build(eventType, status, session, PublicBaseUrl, timestamp);
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Webhook-Id", eventId.ToString());
        request.Headers.Add("X-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Signature-V2", WebhookSignature.Sign(destination.Secret, body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("OrleansShare-Webhooks", "1"));

        DeliveryAttempt attempt;
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var code = (int)response.StatusCode;
            attempt = response.IsSuccessStatusCode
                ? Settled(DeliveryStates.Delivered, code, null)
                : Retry(attemptsBefore, createdAtMs, code, $"The destination answered {code}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            attempt = Retry(attemptsBefore, createdAtMs, null,
                ex is HttpRequestException ? $"The request failed: {ex.Message}" : "The destination did not answer in time.");
        }

        Count(attempt);
        LogAttempt(logger, eventId, destination.DestinationId, attemptsBefore + 1, attempt.State, attempt.StatusCode);
        return attempt;
    }

    /// <summary>An attempt settled without a post (the destination or the session is gone), counted like any other.</summary>
    public DeliveryAttempt Abandon(string error)
    {
        var attempt = Settled(DeliveryStates.Failed, null, error);
        Count(attempt);
        return attempt;
    }

    private void Count(DeliveryAttempt attempt) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", attempt.State == DeliveryStates.Pending ? "retrying" : attempt.State));

    private DeliveryAttempt Settled(string state, int? statusCode, string? error)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return new DeliveryAttempt(state, statusCode, error, now, now);
    }

    private DeliveryAttempt Retry(int attemptsBefore, long createdAtMs, int? statusCode, string error)
    {
        var now = time.GetUtcNow();
        if (now - DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs) >= _settings.RetryFor)
        {
            return Settled(DeliveryStates.Failed, statusCode, error);
        }

        var exponent = Math.Min(attemptsBefore, 30);
        var delay = TimeSpan.FromTicks((long)Math.Min(_settings.RetryBaseDelay.Ticks * Math.Pow(2, exponent), _settings.RetryMaxDelay.Ticks));
        var jittered = delay * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return new DeliveryAttempt(DeliveryStates.Pending, statusCode, error, (now + jittered).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug,
        Message = "Webhook event {EventId} to destination {DestinationId}, attempt {Attempt}: {State} ({StatusCode})")]
    private static partial void LogAttempt(ILogger logger, Guid eventId, Guid destinationId, int attempt, string state, int? statusCode);
}
