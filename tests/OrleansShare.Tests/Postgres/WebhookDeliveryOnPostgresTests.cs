using System.Text.Json.Nodes;
using Npgsql;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// Webhooks on a PostgreSQL cluster of processes: a delivery whose receiver is down survives every silo being killed
/// between two attempts (the outbox is in the database), a first attempt killed with its silo is made again once its
/// grace has passed, and cluster mode refuses private destinations unless <c>Webhooks__AllowPrivateNetworks=true</c>.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class WebhookDeliveryOnPostgresTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    /// <summary>Private networks allowed (the receiver is on loopback), and retries within seconds.</summary>
    private static readonly Dictionary<string, string> Webhooks = new()
    {
        ["Webhooks__AllowPrivateNetworks"] = "true",
        ["Webhooks__PollInterval"] = "00:00:00.100",
        ["Webhooks__RetryBaseDelay"] = "00:00:01",
        ["Webhooks__RetryMaxDelay"] = "00:00:02",
        ["Webhooks__Timeout"] = "00:00:05",
    };

    [Fact]
    public async Task ADeliveryPendingWhenEverySiloIsKilledIsDeliveredAfterTheRestartWithTheSameWebhookId()
    {
        var cluster = await NewClusterAsync(silos: 2, gateways: 2);
        cluster.StartSilo(0, Webhooks);
        cluster.StartSilo(1, Webhooks);
        cluster.StartGateway(0, Webhooks);
        cluster.StartGateway(1);
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);
        await cluster.WaitReadyAsync(1, expectedSilos: 2, Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);
        await using var receiver = WebhookReceiver.NotStarted();

        // Cluster mode: the gateway without the setting refuses loopback and private destinations; the one with it accepts.
        foreach (var url in new[] { receiver.Url, "http://10.0.0.7/hook", "http://169.254.169.254/latest", "http://[::1]:8080/hook", "http://localhost/hook" })
        {
            var refused = await cluster.Gateway(1).SendAsync(HttpMethod.Post, "/v3/webhook/destinations/", new JsonObject { ["url"] = url }, partners.PartnerKey, cancellationToken: Cancel);
            Assert.True(refused.Status == 400 && refused.Body?["errors"]?["url"] is not null, $"{url}: {refused.Status} {refused.Text}");
        }

        var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/webhook/destinations/",
            new JsonObject { ["url"] = receiver.Url, ["subscribed_events"] = new JsonArray("status.updated") }, partners.PartnerKey, cancellationToken: Cancel);
        var destinationId = created["destination_id"]!.GetValue<string>();
        var secret = created["secret_shared_key"]!.GetValue<string>();
        var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, 1, business: false, Cancel);
        var token = await partners.ShareAsync(gateway, sessionId, Cancel);
        var clone = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);
        var cloneId = clone["session_id"]!.GetValue<string>();

        // The receiver is down: wait for a failed attempt to be recorded, then kill every silo between two attempts.
        var pending = await WaitForLogAsync(gateway, partners.PartnerKey, destinationId, e => e?["attempts"]?.GetValue<int>() >= 1);
        Assert.Equal("pending", pending["state"]!.GetValue<string>());
        var eventId = pending["event_id"]!.GetValue<string>();
        Log($"attempt {pending["attempts"]} failed as expected (receiver down); killing both silos");
        await cluster.KillSiloAsync(0);
        await cluster.KillSiloAsync(1);
        await receiver.StartAsync();
        cluster.StartSilo(0, Webhooks);
        cluster.StartSilo(1, Webhooks);
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);

        var delivered = await WaitForLogAsync(gateway, partners.PartnerKey, destinationId, e => e?["state"]?.GetValue<string>() == "delivered");
        var webhook = Assert.Single(receiver.Received);
        Log($"delivered after {delivered["attempts"]} attempts at {Elapsed.TotalSeconds:F1} s");
        Assert.Equal(eventId, webhook.WebhookId);
        Assert.Equal(eventId, delivered["event_id"]!.GetValue<string>());
        Assert.Equal(cloneId, webhook.SessionId);
        Assert.True(WebhookVerifier.IsSignedBy(webhook, secret));
        Assert.Equal("status.updated", webhook.Json["webhook_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFirstAttemptThatDiesWithItsSiloIsDeliveredByTheRestartedClusterAfterTheGrace()
    {
        var cluster = await NewClusterAsync(silos: 2, gateways: 1);
        cluster.StartSilo(0, Webhooks);
        cluster.StartSilo(1, Webhooks);
        cluster.StartGateway(0, Webhooks);
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Hang = true;
        var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/webhook/destinations/",
            new JsonObject { ["url"] = receiver.Url, ["subscribed_events"] = new JsonArray("status.updated") }, partners.PartnerKey, cancellationToken: Cancel);
        var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, 1, business: false, Cancel);
        var token = await partners.ShareAsync(gateway, sessionId, Cancel);
        var clone = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);

        // The clone's silo is attempting the import's event (the receiver holds it); kill every silo well within the
        // attempt's timeout, so that the attempt is never recorded and the event stays in the outbox.
        await receiver.WaitForAsync(_ => receiver.Hanging == 1, Deadline, "the first attempt to hang");
        await cluster.KillSiloAsync(0);
        await cluster.KillSiloAsync(1);
        receiver.Hang = false;
        cluster.StartSilo(0, Webhooks);
        cluster.StartSilo(1, Webhooks);
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);

        // Once the grace has passed (the timeout + 30 s), a silo fans the event out and delivers it: one delivery,
        // logged with one attempt (the one that died was never recorded).
        var delivered = await WaitForLogAsync(gateway, partners.PartnerKey, created["destination_id"]!.GetValue<string>(),
            e => e?["state"]?.GetValue<string>() == "delivered");
        Log($"delivered at {Elapsed.TotalSeconds:F1} s");
        var webhook = Assert.Single(receiver.Received);
        Assert.Equal(clone["session_id"]!.GetValue<string>(), webhook.SessionId);
        Assert.Equal(delivered["event_id"]!.GetValue<string>(), webhook.WebhookId);
        Assert.Equal(1, delivered["attempts"]!.GetValue<int>());
    }

    private const string Recorded = """
        SELECT (SELECT count(*) FROM webhook_event WHERE service_id = @Service AND application_id = @App)
             + (SELECT count(*) FROM webhook_delivery WHERE service_id = @Service AND application_id = @App)
        """;

    [Fact]
    public async Task AnApplicationRecordsWebhookEventsOnlyWhileItHasADestination()
    {
        // An event is recorded in webhook_event; the silo that stored it moves it to webhook_delivery with its first
        // attempt (to a port nothing listens on), in one transaction: the two tables together count what was recorded.
        var idle = new Dictionary<string, string>(Webhooks) { ["Webhooks__PollInterval"] = "01:00:00" };
        var cluster = await NewClusterAsync(silos: 1, gateways: 1);
        cluster.StartSilo(0, idle);
        cluster.StartGateway(0, idle);
        await cluster.WaitReadyAsync(0, expectedSilos: 1, Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);

        // No destination: an import (the clone's status change) records no outbox row.
        await ImportAsync(gateway, partners, 1);
        Assert.Equal(0, await CountAsync(cluster, "SELECT count(*) FROM webhook_subscriber WHERE service_id = @Service AND application_id = @App", partners.PartnerId));
        Assert.Equal(0, await CountAsync(cluster, Recorded, partners.PartnerId));

        // With a destination, the next import's event is recorded with it.
        var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/webhook/destinations/",
            new JsonObject { ["url"] = "http://127.0.0.1:9/hook", ["subscribed_events"] = new JsonArray("status.updated") }, partners.PartnerKey, cancellationToken: Cancel);
        await ImportAsync(gateway, partners, 2);
        Assert.Equal(1, await CountAsync(cluster, "SELECT count(*) FROM webhook_subscriber WHERE service_id = @Service AND application_id = @App", partners.PartnerId));
        Assert.Equal(1, await CountAsync(cluster, Recorded, partners.PartnerId));

        // Its last destination deleted, the application records none again.
        await gateway.ExpectAsync(204, HttpMethod.Delete, $"/v3/webhook/destinations/{created["destination_id"]}/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        await ImportAsync(gateway, partners, 3);
        Assert.Equal(0, await CountAsync(cluster, "SELECT count(*) FROM webhook_subscriber WHERE service_id = @Service AND application_id = @App", partners.PartnerId));
        Assert.Equal(1, await CountAsync(cluster, Recorded, partners.PartnerId));
    }

    private static async Task ImportAsync(GatewayClient gateway, Partners partners, int n)
    {
        var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, n, business: false, Cancel);
        var token = await partners.ShareAsync(gateway, sessionId, Cancel);
        await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);
    }

    private static async Task<long> CountAsync(ProcessCluster cluster, string sql, Guid applicationId)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(Cancel);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("Service", cluster.ServiceId);
        command.Parameters.AddWithValue("App", applicationId);
        return (long)(await command.ExecuteScalarAsync(Cancel))!;
    }

    /// <summary>The one entry of the destination's delivery log once <paramref name="condition"/> holds for it.</summary>
    private async Task<JsonNode> WaitForLogAsync(GatewayClient gateway, string apiKey, string destinationId, Func<JsonNode?, bool> condition)
    {
        var until = DateTime.UtcNow + Deadline;
        var last = "";
        while (DateTime.UtcNow < until)
        {
            var answer = await gateway.SendAsync(HttpMethod.Get, $"/v3/webhook/destinations/{destinationId}/deliveries/", apiKey: apiKey, cancellationToken: Cancel);
            last = $"{answer.Status} {answer.Text}";
            if (answer.Status == 200 && answer.Body?["results"] is JsonArray { Count: 1 } results && condition(results[0]))
            {
                return results[0]!;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Cancel);
        }

        Log($"last delivery log answer: {last}");
        throw new TimeoutException($"The delivery log did not reach the expected state within {Deadline}: {last}");
    }
}
