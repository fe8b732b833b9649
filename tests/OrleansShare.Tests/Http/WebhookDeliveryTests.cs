using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>An embedded gateway whose dispatcher polls and retries in milliseconds, so that retries take seconds in tests.</summary>
public sealed class FastWebhookGateway : IAsyncLifetime
{
    /// <summary>How long one delivery attempt may take.</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);

    public GatewayApp App { get; } = GatewayApp.WithSettings(new Dictionary<string, string>
    {
        ["Gateway:PublicBaseUrl"] = "https://kyc.example.com",
        ["Webhooks:PollInterval"] = "00:00:00.050",
        ["Webhooks:RetryBaseDelay"] = "00:00:00.200",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.500",
        ["Webhooks:Timeout"] = DeliveryTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    });

    public ValueTask InitializeAsync() => App.InitializeAsync();

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>
/// API.md, Webhooks, end to end: a real receiver on loopback gets <c>status.updated</c> deliveries, signed as API.md
/// says, in the canonical form, retried with the same <c>X-Webhook-Id</c> until delivered, and a receiver that hangs
/// slows neither the API nor other destinations.
/// </summary>
[Trait("Layer", "Http")]
public sealed class WebhookDeliveryTests(FastWebhookGateway gateway) : IClassFixture<FastWebhookGateway>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Nested objects in reverse key order, floats 89.90, 1.0 and 37.4237349802915, non-ASCII text, arrays of objects.</summary>
    private const string EdgeCaseDecision = """
        {
          "status": "Approved",
          "id_verifications": [
            {"status": "Approved", "last_name": "Española Ñúñez 東京 😀", "first_name": "Zoë",
             "address": {"zip": "28001", "geo": {"lon": -3.7037902, "lat": 37.4237349802915}, "city": "Málaga"},
             "warnings": [{"short": "B", "long": "b"}, {"short": "A", "long": "a"}]}
          ],
          "liveness_checks": [{"status": "Approved", "score": 89.90, "weight": 1.0, "age_estimation": 24.30}],
          "face_matches": [{"status": "Approved", "score": 95.10, "source_image": "https://example.com/source.jpg"}]
        }
        """;

    private GatewayApp App => gateway.App;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnImportDeliversExactlyOneSignedCanonicalStatusUpdatedToTheImporter()
    {
        var deliveredAttempts = 0L;
        using var metrics = new MeterListener();
        metrics.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "OrleansShare" && instrument.Name == "orleansshare_webhook_deliveries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        metrics.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && (string?)tag.Value == "delivered")
                {
                    Interlocked.Add(ref deliveredAttempts, value);
                }
            }
        });
        metrics.Start();
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var source = await App.CreateApplicationAsync();
        var importer = await App.CreateApplicationAsync();
        var (destinationId, secret) = await CreateDestinationAsync(importer, receiver.Url);
        var sessionId = await App.CreateVerifiedSessionAsync(source, decisionJson: EdgeCaseDecision, vendorData: "user-é-1");
        var token = await App.ShareAsync(source, sessionId, importer.ApplicationId);

        var clone = await App.ImportAsync(importer, token, importer.KycWorkflowId, trustReview: true, vendorData: "importer-user-1");

        var cloneId = clone.Str("session_id");
        var delivered = await WaitForDeliveryLogAsync(importer, destinationId, entries => entries.Any(e => e!.Str("state") == "delivered"));
        var received = receiver.Received.Where(r => r.SessionId == cloneId).ToList();
        var webhook = Assert.Single(received);
        Assert.Single(delivered);
        Assert.Equal(1, delivered[0]!["attempts"]!.GetValue<int>());
        Assert.Equal(200, delivered[0]!["last_status_code"]!.GetValue<int>());
        Assert.Equal(webhook.WebhookId, delivered[0]!.Str("event_id"));
        Assert.Equal(cloneId, delivered[0]!.Str("session_id"));

        Assert.True(WebhookVerifier.IsSignedBy(webhook, secret), "X-Signature-V2 is not the HMAC of the raw body under the destination's secret");
        Assert.False(WebhookVerifier.IsSignedBy(webhook, secret + "0"));
        Assert.True(long.TryParse(webhook.Headers["X-Timestamp"], out var timestamp));
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.True(Guid.TryParse(webhook.WebhookId, out _));
        Assert.StartsWith("application/json", webhook.Headers["Content-Type"], StringComparison.Ordinal);

        // The raw body is the canonical form: what Node's JSON.stringify of the sorted parse writes, byte for byte.
        Assert.Equal(NodeJson.Text(await NodeJson.CanonicalAsync(webhook.Body)), Encoding.UTF8.GetString(webhook.Body));
        var text = Encoding.UTF8.GetString(webhook.Body);
        Assert.Contains("\"score\":89.9,", text, StringComparison.Ordinal);
        Assert.Contains("\"weight\":1}", text, StringComparison.Ordinal);
        Assert.Contains("\"geo\":{\"lat\":37.4237349802915,\"lon\":-3.7037902}", text, StringComparison.Ordinal);
        Assert.Contains("Española Ñúñez 東京 😀", text, StringComparison.Ordinal);
        Assert.Contains("\"warnings\":[{\"long\":\"b\",\"short\":\"B\"},{\"long\":\"a\",\"short\":\"A\"}]", text, StringComparison.Ordinal);

        var body = webhook.Json;
        Assert.Equal("status.updated", body.Str("webhook_type"));
        Assert.Equal(cloneId, body.Str("session_id"));
        Assert.Equal(SessionKinds.User, body.Str("session_kind"));
        Assert.Equal("Approved", body.Str("status"));
        Assert.Equal("importer-user-1", body.Str("vendor_data"));
        Assert.Equal(importer.KycWorkflowId.ToString(), body.Str("workflow_id"));
        Assert.Equal(sessionId.ToString(), body.Str("shared_from_session"));
        Assert.Equal(clone.Str("created_at"), body.Str("created_at"));
        Assert.Equal(timestamp, body["timestamp"]!.GetValue<long>());
        var document = body["decision"]!.AsObject();
        Assert.Equal($"https://kyc.example.com/session/{cloneId}", document.Str("session_url"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(clone["id_verifications"]!.ToJsonString()), document["id_verifications"]));
        Assert.True(JsonNode.DeepEquals(clone["liveness_checks"], document["liveness_checks"]));
        Assert.Equal(clone["reviews"]!.AsArray().Count, document["reviews"]!.AsArray().Count);

        // The source's own application has no destination: nothing was posted for the source session.
        Assert.DoesNotContain(receiver.Received, r => r.SessionId == sessionId.ToString());
        Assert.True(Interlocked.Read(ref deliveredAttempts) >= 1, "orleansshare_webhook_deliveries{outcome=delivered} did not move");
    }

    [Fact]
    public async Task EveryStatusChangeIsDeliveredOnceAndInOrder()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var owner = await App.CreateApplicationAsync();
        await CreateDestinationAsync(owner, receiver.Url);
        var sessionId = await App.CreateSessionAsync(owner, owner.KycWorkflowId, "user-order");

        await App.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User, "In Review"));
        await PatchStatusAsync(owner, sessionId, "Declined");
        await ReviewAsync(owner, sessionId, "Declined", "same status: no event");
        await ReviewAsync(owner, sessionId, null, "a comment alone: no event");
        await ReviewAsync(owner, sessionId, "Abandoned", "a review that changes the status");
        await PatchStatusAsync(owner, sessionId, "Approved");

        var expected = new[] { "In Review", "Declined", "Abandoned", "Approved" };
        var received = await receiver.WaitForAsync(r => r.Count(w => w.SessionId == sessionId.ToString()) >= expected.Length, Deadline, "four status changes");
        var statuses = received.Where(w => w.SessionId == sessionId.ToString()).Select(w => w.Json.Str("status")).ToList();
        Assert.Equal(expected, statuses);
        Assert.Equal(expected.Length, received.Where(w => w.SessionId == sessionId.ToString()).Select(w => w.WebhookId).Distinct().Count());
    }

    [Fact]
    public async Task AReceiverThatIsDownGetsTheDeliveryOnceItIsUpWithTheSameWebhookId()
    {
        await using var receiver = WebhookReceiver.NotStarted();
        var owner = await App.CreateApplicationAsync();
        var (destinationId, secret) = await CreateDestinationAsync(owner, receiver.Url);
        var sessionId = await App.CreateSessionAsync(owner, owner.KycWorkflowId, "user-retry");

        await App.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User));
        var failing = await WaitForDeliveryLogAsync(owner, destinationId, e => e.Count == 1 && e[0]!["attempts"]!.GetValue<int>() >= 2);
        Assert.Equal("pending", failing[0]!.Str("state"));
        Assert.NotNull(failing[0]!["next_retry_at"]);
        Assert.Null(failing[0]!["last_status_code"]?.GetValue<int?>());
        await receiver.StartAsync();

        var delivered = await WaitForDeliveryLogAsync(owner, destinationId, e => e.Count == 1 && e[0]!.Str("state") == "delivered");
        var webhook = Assert.Single(receiver.Received);
        Assert.Equal(delivered[0]!.Str("event_id"), webhook.WebhookId);
        Assert.Equal(failing[0]!.Str("event_id"), webhook.WebhookId);
        Assert.True(delivered[0]!["attempts"]!.GetValue<int>() >= 3);
        Assert.Null(delivered[0]!["next_retry_at"]?.GetValue<string>());
        Assert.True(WebhookVerifier.IsSignedBy(webhook, secret));
    }

    [Fact]
    public async Task AReceiverThatHangsSlowsNeitherTheImportNorAnotherDestination()
    {
        await using var hanging = await WebhookReceiver.StartNewAsync();
        hanging.Hang = true;
        await using var healthy = await WebhookReceiver.StartNewAsync();
        var source = await App.CreateApplicationAsync();
        var importer = await App.CreateApplicationAsync();
        await CreateDestinationAsync(importer, hanging.Url);
        await CreateDestinationAsync(importer, healthy.Url);
        var first = await App.CreateVerifiedSessionAsync(source);
        await App.ImportAsync(importer, await App.ShareAsync(source, first, importer.ApplicationId), importer.KycWorkflowId);
        await hanging.WaitForAsync(_ => hanging.Hanging > 0, Deadline, "a request to hold");
        var second = await App.CreateVerifiedSessionAsync(source);
        var token = await App.ShareAsync(source, second, importer.ApplicationId);

        var clock = Stopwatch.StartNew();
        var clone = await App.ImportAsync(importer, token, importer.KycWorkflowId);
        var importTook = clock.Elapsed;

        // The hanging destination holds its attempts open for the whole delivery timeout; the import answers well within it.
        Assert.True(importTook < FastWebhookGateway.DeliveryTimeout / 2, $"The import took {importTook} while a destination hung.");
        await healthy.WaitForAsync(r => r.Any(w => w.SessionId == clone.Str("session_id")), Deadline, "the second clone's delivery");
        Assert.True(hanging.Hanging > 0, "The healthy destination should have been served while the other one still hung.");
    }

    [Fact]
    public async Task ADestinationThatHangsHoldsBackNeitherAnotherDestinationsNextEventsNorItsOwnOrder()
    {
        await using var hanging = await WebhookReceiver.StartNewAsync();
        hanging.Hang = true;
        await using var healthy = await WebhookReceiver.StartNewAsync();
        var owner = await App.CreateApplicationAsync();
        await CreateDestinationAsync(owner, hanging.Url);
        await CreateDestinationAsync(owner, healthy.Url);
        var sessionId = await App.CreateSessionAsync(owner, owner.KycWorkflowId, "user-hang-order");

        await App.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User, "In Review"));
        await hanging.WaitForAsync(_ => hanging.Hanging == 1, Deadline, "the first event's attempt to hang");
        var clock = Stopwatch.StartNew();
        await PatchStatusAsync(owner, sessionId, "Approved");

        // The healthy destination gets both events, in order, well before the other's first attempt times out (the
        // second event leaves the outbox only once the first has); the hanging destination is not sent the second.
        var received = await healthy.WaitForAsync(r => r.Count(w => w.SessionId == sessionId.ToString()) == 2, Deadline, "both status changes");
        Assert.True(clock.Elapsed < FastWebhookGateway.DeliveryTimeout / 2, $"The second event reached the healthy destination after {clock.Elapsed}.");
        Assert.Equal(["In Review", "Approved"], received.Where(w => w.SessionId == sessionId.ToString()).Select(w => w.Json.Str("status")).ToArray());
        Assert.Equal(1, hanging.Hanging);
    }

    [Fact]
    public async Task ADisabledDestinationOrOneNotSubscribedGetsNothing()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        await using var control = await WebhookReceiver.StartNewAsync();
        var owner = await App.CreateApplicationAsync();
        var (disabledId, _) = await CreateDestinationAsync(owner, receiver.Url);
        await (await owner.Client.PatchAsync($"/v3/webhook/destinations/{disabledId}/", Body.Json("""{"enabled": false}"""), Ct))
            .AssertJsonAsync(HttpStatusCode.OK);
        await CreateDestinationAsync(owner, control.Url);
        var sessionId = await App.CreateSessionAsync(owner, owner.KycWorkflowId, "user-disabled");

        await App.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User));

        // The enabled destination's delivery shows the event was fanned out; the disabled one got no delivery row.
        await control.WaitForAsync(r => r.Count == 1, Deadline, "the enabled destination's delivery");
        Assert.Empty(receiver.Received);
        var log = await (await owner.Client.GetAsync($"/v3/webhook/destinations/{disabledId}/deliveries/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, log["count"]!.GetValue<long>());
    }

    private static async Task<(Guid Id, string Secret)> CreateDestinationAsync(TestApplication app, string url)
    {
        var created = await (await app.Client.PostAsync("/v3/webhook/destinations/", Body.Json(new JsonObject
        {
            ["label"] = "test receiver",
            ["url"] = url,
            ["enabled"] = true,
            ["webhook_version"] = "v3",
            ["subscribed_events"] = new JsonArray("status.updated"),
        }), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        return (created.Id("destination_id"), created.Str("secret_shared_key"));
    }

    private static async Task PatchStatusAsync(TestApplication app, Guid sessionId, string status)
    {
        var response = await app.Client.PatchAsync($"/v3/session/{sessionId}/update-status/", Body.Json(new JsonObject { ["new_status"] = status }), Ct);
        await response.AssertJsonAsync(HttpStatusCode.OK);
    }

    private static async Task ReviewAsync(TestApplication app, Guid sessionId, string? status, string comment)
    {
        var body = new JsonObject { ["comment"] = comment };
        if (status is not null)
        {
            body["new_status"] = status;
        }

        var response = await app.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json(body), Ct);
        await response.AssertJsonAsync(HttpStatusCode.Created);
    }

    /// <summary>Polls the delivery log until <paramref name="condition"/> holds for its entries, with a deadline.</summary>
    private static async Task<JsonArray> WaitForDeliveryLogAsync(TestApplication app, Guid destinationId, Func<JsonArray, bool> condition)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var page = await (await app.Client.GetAsync($"/v3/webhook/destinations/{destinationId}/deliveries/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
            var results = page["results"]!.AsArray();
            if (condition(results))
            {
                return results;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The delivery log did not reach the expected state within {Deadline}: {page.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
    }
}
