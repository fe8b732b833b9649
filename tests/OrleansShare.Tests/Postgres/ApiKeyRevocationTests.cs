using System.Diagnostics;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class ApiKeyRevocationTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task AKeyCachedOnEveryGatewayIsRefusedEverywhereOnceItsRevokeAnswers()
    {
        var cluster = await NewClusterAsync(silos: 2, gateways: 2);
        await cluster.StartAllAsync(Cancel);

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
}
