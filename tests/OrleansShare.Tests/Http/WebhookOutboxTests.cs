using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using OrleansShare.Grains.Common;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// The webhook outbox on SQLite: a status change records an event only while its application has a destination, so an
/// application without one costs no outbox row (the PostgreSQL twin is in <c>WebhookDeliveryOnPostgresTests</c>).
/// </summary>
[Trait("Layer", "Http")]
public sealed class WebhookOutboxTests
{
    private const string Recorded = """
        SELECT (SELECT count(*) FROM webhook_event WHERE application_id = @App) + (SELECT count(*) FROM webhook_delivery WHERE application_id = @App)
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnApplicationRecordsWebhookEventsOnlyWhileItHasADestination()
    {
        // An event is recorded in webhook_event; the silo that stored it moves it to webhook_delivery with its first
        // attempt (to a port nothing listens on), in one transaction: the two tables together count what was recorded.
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["Webhooks:PollInterval"] = "01:00:00" });
        await app.InitializeAsync();
        var owner = await app.CreateApplicationAsync();

        await DecideNewSessionAsync(app, owner, "before");
        Assert.Equal(0, await CountAsync(app, "SELECT count(*) FROM webhook_subscriber WHERE application_id = @App", owner.ApplicationId));
        Assert.Equal(0, await CountAsync(app, Recorded, owner.ApplicationId));

        var created = await (await owner.Client.PostAsync("/v3/webhook/destinations/", Body.Json(new JsonObject
        {
            ["url"] = "http://127.0.0.1:9/hook",
            ["subscribed_events"] = new JsonArray("status.updated"),
        }), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        await DecideNewSessionAsync(app, owner, "during");
        Assert.Equal(1, await CountAsync(app, "SELECT count(*) FROM webhook_subscriber WHERE application_id = @App", owner.ApplicationId));
        Assert.Equal(1, await CountAsync(app, Recorded, owner.ApplicationId));

        var deleted = await owner.Client.DeleteAsync($"/v3/webhook/destinations/{created.Id("destination_id")}/", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await DecideNewSessionAsync(app, owner, "after");
        Assert.Equal(0, await CountAsync(app, "SELECT count(*) FROM webhook_subscriber WHERE application_id = @App", owner.ApplicationId));
        Assert.Equal(1, await CountAsync(app, Recorded, owner.ApplicationId));
    }

    [Fact]
    public async Task ASessionsFirstEventIsDeliveredByTheSiloThatStoredItWithoutWaitingForAPoll()
    {
        // The dispatcher polls once at start and then not for an hour: only the handoff from the session grain can deliver.
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["Webhooks:PollInterval"] = "01:00:00" });
        await app.InitializeAsync();
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var owner = await app.CreateApplicationAsync();
        await (await owner.Client.PostAsync("/v3/webhook/destinations/", Body.Json(new JsonObject
        {
            ["url"] = receiver.Url,
            ["subscribed_events"] = new JsonArray("status.updated"),
        }), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        var sessionId = await app.CreateSessionAsync(owner, owner.KycWorkflowId, "first-event");

        await app.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User));

        var received = await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(30), "the first event's delivery");
        Assert.Equal(sessionId.ToString(), received[0].SessionId);

        // Then recorded: the event leaves the outbox as its delivery is logged, delivered on the first attempt.
        const string Logged = """
            SELECT (SELECT count(*) FROM webhook_delivery WHERE application_id = @App AND state = 'delivered' AND attempts = 1)
                 - (SELECT count(*) FROM webhook_event WHERE application_id = @App)
            """;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await CountAsync(app, Logged, owner.ApplicationId) != 1 && DateTime.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }

        Assert.Equal(1, await CountAsync(app, Logged, owner.ApplicationId));
        Assert.Equal(0, await CountAsync(app, "SELECT count(*) FROM webhook_event WHERE application_id = @App", owner.ApplicationId));
    }

    [Fact]
    public async Task AFirstEventWhoseDestinationHasNoFreeSlotIsLeftPendingForTheDispatcher()
    {
        // One first attempt per destination at a time, and no poll for an hour: what the handoff cannot post is logged
        // pending, not yet attempted, for the dispatcher's next claim.
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string>
        {
            ["Webhooks:PollInterval"] = "01:00:00",
            ["Webhooks:PerDestinationConcurrency"] = "1",
            ["Webhooks:Timeout"] = "00:01:00",
        });
        await app.InitializeAsync();
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Hang = true;
        var owner = await app.CreateApplicationAsync();
        var created = await (await owner.Client.PostAsync("/v3/webhook/destinations/", Body.Json(new JsonObject
        {
            ["url"] = receiver.Url,
            ["subscribed_events"] = new JsonArray("status.updated"),
        }), Ct)).AssertJsonAsync(HttpStatusCode.Created);

        await DecideNewSessionAsync(app, owner, "holds-the-slot");
        await receiver.WaitForAsync(_ => receiver.Hanging == 1, TimeSpan.FromSeconds(30), "the first session's attempt to hang");
        var second = await app.CreateSessionAsync(owner, owner.KycWorkflowId, "finds-no-slot");
        await app.RecordDecisionAsync(owner, second, Decisions.Verified(SessionKind.User));

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonObject? entry;
        do
        {
            var log = await (await owner.Client.GetAsync($"/v3/webhook/destinations/{created.Id("destination_id")}/deliveries/", Ct))
                .AssertJsonAsync(HttpStatusCode.OK);
            entry = log["results"]!.AsArray().Select(e => e!.AsObject()).SingleOrDefault(e => e.Str("session_id") == second.ToString());
        }
        while (entry is null && DateTime.UtcNow < until && await Delay());

        Assert.NotNull(entry);
        Assert.Equal("pending", entry.Str("state"));
        Assert.Equal(0, entry["attempts"]!.GetValue<int>());
        Assert.Equal(1, receiver.Hanging);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        return true;
    }

    [Fact]
    public async Task TheBacklogGaugeCountsWhatWaitsUntilItIsDelivered()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string>
        {
            ["Webhooks:PollInterval"] = "00:00:00.050",
            ["Webhooks:RetryBaseDelay"] = "00:00:00.200",
            ["Webhooks:RetryMaxDelay"] = "00:00:00.500",
        });
        await app.InitializeAsync();
        await using var receiver = WebhookReceiver.NotStarted();
        var owner = await app.CreateApplicationAsync();
        await (await owner.Client.PostAsync("/v3/webhook/destinations/", Body.Json(new JsonObject
        {
            ["url"] = receiver.Url,
            ["subscribed_events"] = new JsonArray("status.updated"),
        }), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(0, await BacklogAsync(app));

        // The receiver is down: the decision's delivery waits, and the gauge (counted every 20 polls) shows it.
        await DecideNewSessionAsync(app, owner, "waiting");
        Assert.Equal(1, await WaitForBacklogAsync(app, backlog => backlog > 0));

        await receiver.StartAsync();
        await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(30), "the delivery once the receiver is up");
        Assert.Equal(0, await WaitForBacklogAsync(app, backlog => backlog == 0));
    }

    /// <summary><c>orleansshare_webhook_backlog</c> as the gateway's <c>/metrics</c> serves it.</summary>
    private static async Task<double> BacklogAsync(GatewayApp app)
    {
        var text = await app.Anonymous.GetStringAsync("/metrics", Ct);
        var line = text.Split('\n').Single(l => l.StartsWith("orleansshare_webhook_backlog", StringComparison.Ordinal) && !l.StartsWith('#'));
        return double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<double> WaitForBacklogAsync(GatewayApp app, Func<double, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var backlog = await BacklogAsync(app);
        while (!condition(backlog) && DateTime.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            backlog = await BacklogAsync(app);
        }

        return backlog;
    }

    private static async Task DecideNewSessionAsync(GatewayApp app, TestApplication owner, string vendorData)
    {
        var sessionId = await app.CreateSessionAsync(owner, owner.KycWorkflowId, vendorData);
        await app.RecordDecisionAsync(owner, sessionId, Decisions.Verified(SessionKind.User));
    }

    private static async Task<long> CountAsync(GatewayApp app, string sql, Guid applicationId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, StorageOptions.DatabaseFileName)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@App", applicationId.ToString("D"));
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
