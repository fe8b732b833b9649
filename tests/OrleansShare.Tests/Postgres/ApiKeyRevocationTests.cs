using System.Diagnostics;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class ApiKeyRevocationTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    private static readonly TimeSpan SubscribeDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AKeyCachedOnEveryGatewayIsRefusedEverywhereOnceItsRevokeAnswers()
    {
        var cluster = await NewClusterAsync(silos: 2, gateways: 2);
        await cluster.StartAllAsync(Cancel);
        for (var j = 0; j < cluster.GatewayCount; j++)
        {
            await WaitSubscribedAsync(cluster.Gateway(j));
        }

        var admin = cluster.Gateway(0);
        var (applicationId, firstKey) = await admin.CreateApplicationAsync("Revocation " + Guid.NewGuid().ToString("N")[..6], Cancel);
        var second = await admin.ExpectAsync(201, HttpMethod.Post, $"/admin/v1/applications/{applicationId}/api-keys/",
            new { privileges = new[] { "read:sessions" } }, admin: true, cancellationToken: Cancel);
        var (secondKey, secondKeyId) = (second["api_key"]!.GetValue<string>(), second["api_key_id"]!.GetValue<string>());

        // Both keys now known to both gateways' caches.
        for (var j = 0; j < cluster.GatewayCount; j++)
        {
            await cluster.Gateway(j).ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: firstKey, cancellationToken: Cancel);
            await cluster.Gateway(j).ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: secondKey, cancellationToken: Cancel);
        }

        var clock = Stopwatch.StartNew();
        await admin.ExpectAsync(204, HttpMethod.Delete, $"/admin/v1/applications/{applicationId}/api-keys/{secondKeyId}/", admin: true, cancellationToken: Cancel);
        var revokeTook = clock.Elapsed;

        for (var j = cluster.GatewayCount - 1; j >= 0; j--)
        {
            var refused = await cluster.Gateway(j).SendAsync(HttpMethod.Get, "/v3/workflows/", apiKey: secondKey, cancellationToken: Cancel);
            Assert.True(refused.Status == 401, $"gateway-{j} still accepts the revoked key: {refused.Status} {refused.Text}");
            await cluster.Gateway(j).ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: firstKey, cancellationToken: Cancel);
        }

        cluster.ThrowIfAnyCrashed();
        Log($"revoke answered in {revokeTook.TotalMilliseconds:F0} ms; the key was refused at once by both gateways, the other key still served");
    }

    /// <summary>Waits until the gateway's readiness answer says its API-key cache is subscribed to revocations.</summary>
    private static async Task WaitSubscribedAsync(GatewayClient gateway)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ready = await gateway.SendAsync(HttpMethod.Get, "/health/ready", cancellationToken: Cancel);
            if (ready.Status == 200 && ready.Body?["api_key_cache"]?.GetValue<string>() == "subscribed")
            {
                return;
            }

            Assert.True(deadline.Elapsed < SubscribeDeadline, $"The gateway's API-key cache did not subscribe within {SubscribeDeadline}: {ready.Status} {ready.Text}");
            await Task.Delay(TimeSpan.FromMilliseconds(200), Cancel);
        }
    }
}
