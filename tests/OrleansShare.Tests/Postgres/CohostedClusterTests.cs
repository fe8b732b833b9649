using System.Collections.Concurrent;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// The co-hosted topology: gateway processes with <c>Cluster__HostSilo=true</c> are silos of the cluster themselves,
/// alone or beside dedicated silos and pure client gateways.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class CohostedClusterTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task TwoCohostedGatewaysAreOneClusterThatSharesAcrossThemAndOutlivesASigtermOfOne()
    {
        var cluster = await NewClusterAsync(silos: 0, gateways: 2, cohostedGateways: 2);
        await cluster.StartAllAsync(Cancel);

        // Each process is a silo of one cluster: both rows Active, and each gateway counts both silos.
        Assert.Equal(new[] { cluster.GatewaySiloPort(0), cluster.GatewaySiloPort(1) }.Order(), await cluster.ActiveSiloPortsAsync(Cancel));
        for (var j = 0; j < cluster.GatewayCount; j++)
        {
            var ready = await cluster.Gateway(j).ExpectAsync(200, HttpMethod.Get, "/health/ready", cancellationToken: Cancel);
            Assert.Equal(("gateway+silo", 2, "subscribed"),
                (ready["role"]?.GetValue<string>(), ready["silos"]?.GetValue<int>(), ready["api_key_cache"]?.GetValue<string>()));
        }

        // Verified through one process, shared and imported through the other.
        var (first, second) = (cluster.Gateway(0), cluster.Gateway(1));
        var partners = await Partners.ProvisionAsync(first, Cancel);
        var (sourceId, decision) = await partners.CreateDecidedSessionAsync(first, 1, business: false, Cancel);
        var token = await partners.ShareAsync(second, sourceId, Cancel);
        var cloneId = (await second.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel))
            ["session_id"]!.GetValue<string>();
        var clone = await first.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        Assert.Equal(sourceId.ToString(), clone["shared_from_session"]?.GetValue<string>());
        Assert.True(Partners.SectionsMatch(decision, clone, out var difference), difference);

        // A second session verified and shared through the first process, whose grains activated beside it.
        var (laterId, laterDecision) = await partners.CreateDecidedSessionAsync(first, 2, business: true, Cancel);
        var laterToken = await partners.ShareAsync(first, laterId, Cancel);

        // Act: SIGTERM the first process while the second keeps reading the sessions.
        using var stopReading = new CancellationTokenSource();
        var answers = new ConcurrentQueue<int>();
        var reader = Task.Run(async () =>
        {
            while (!stopReading.IsCancellationRequested)
            {
                answers.Enqueue((await second.SendAsync(HttpMethod.Get, $"/v3/session/{sourceId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel)).Status);
                answers.Enqueue((await second.SendAsync(HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel)).Status);
                await Task.Delay(TimeSpan.FromMilliseconds(20), Cancel); // pacing only: the loop must not starve the stopping process
            }
        }, Cancel);
        await cluster.StopGatewayAsync(0);
        await cluster.WaitForActiveSilosAsync(1, Cancel);
        await stopReading.CancelAsync();
        await reader;

        // Assert: a clean exit that left the membership; the other process serves everything, and tokens keep their state.
        Assert.True(cluster.GatewayProcess(0).ExitCode == 0, cluster.GatewayProcess(0).Tail());
        Assert.Equal([cluster.GatewaySiloPort(1)], await cluster.ActiveSiloPortsAsync(Cancel));
        Assert.All(answers, status => Assert.True(status is 200 or 503, $"a read during the stop answered {status}"));
        await cluster.WaitReadyAsync(1, expectedSilos: 1, Cancel);
        var source = await second.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{sourceId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.True(Partners.SectionsMatch(decision, source, out difference), difference);
        clone = await second.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        Assert.True(Partners.SectionsMatch(decision, clone, out difference), difference);
        Assert.Equal(403, (await second.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel)).Status);
        var laterCloneId = (await second.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(laterToken), partners.PartnerKey, cancellationToken: Cancel))
            ["session_id"]!.GetValue<string>();
        var laterClone = await second.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{laterCloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        Assert.True(Partners.SectionsMatch(laterDecision, laterClone, out difference), difference);
        cluster.ThrowIfAnyCrashed();
        Log($"2 co-hosted processes, 2 silos; shared and imported across them; after SIGTERM of one: {answers.Count(s => s == 200)} reads 200, " +
            $"{answers.Count(s => s == 503)} 503 during the stop, everything served by the other; test run time {Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task ADedicatedSiloACohostedGatewayAndAClientGatewayAreOneCluster()
    {
        var cluster = await NewClusterAsync(silos: 1, gateways: 2, cohostedGateways: 1);
        await cluster.StartAllAsync(Cancel);
        var (cohosted, client) = (cluster.Gateway(0), cluster.Gateway(1));

        // Both gateways count the dedicated silo and the co-hosted one.
        Assert.Equal(new[] { cluster.SiloPort(0), cluster.GatewaySiloPort(0) }.Order(), await cluster.ActiveSiloPortsAsync(Cancel));
        Assert.Equal("gateway+silo", (await cohosted.ExpectAsync(200, HttpMethod.Get, "/health/ready", cancellationToken: Cancel))["role"]?.GetValue<string>());
        Assert.Equal("gateway", (await client.ExpectAsync(200, HttpMethod.Get, "/health/ready", cancellationToken: Cancel))["role"]?.GetValue<string>());

        // Verified through the client gateway, shared through the co-hosted one, imported through the client again.
        var partners = await Partners.ProvisionAsync(client, Cancel);
        var (sourceId, decision) = await partners.CreateDecidedSessionAsync(client, 1, business: false, Cancel);
        var token = await partners.ShareAsync(cohosted, sourceId, Cancel);
        var imported = await client.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);
        var clone = await cohosted.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{imported["session_id"]!.GetValue<string>()}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        Assert.True(Partners.SectionsMatch(decision, clone, out var difference), difference);

        // The co-hosted gateway's API-key cache (a grain observer inside its silo) hears a revocation made through the other gateway.
        var extra = await client.ExpectAsync(201, HttpMethod.Post, $"/admin/v1/applications/{partners.SourceId}/api-keys/",
            new { privileges = new[] { "read:sessions" } }, admin: true, cancellationToken: Cancel);
        var (extraKey, extraKeyId) = (extra["api_key"]!.GetValue<string>(), extra["api_key_id"]!.GetValue<string>());
        await cohosted.ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: extraKey, cancellationToken: Cancel);
        await client.ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: extraKey, cancellationToken: Cancel);
        await client.ExpectAsync(204, HttpMethod.Delete, $"/admin/v1/applications/{partners.SourceId}/api-keys/{extraKeyId}/", admin: true, cancellationToken: Cancel);
        Assert.Equal(401, (await cohosted.SendAsync(HttpMethod.Get, "/v3/workflows/", apiKey: extraKey, cancellationToken: Cancel)).Status);
        Assert.Equal(401, (await client.SendAsync(HttpMethod.Get, "/v3/workflows/", apiKey: extraKey, cancellationToken: Cancel)).Status);
        await cohosted.ExpectAsync(200, HttpMethod.Get, "/v3/workflows/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        cluster.ThrowIfAnyCrashed();
        Log($"1 dedicated silo + 1 co-hosted gateway + 1 client gateway: one cluster of 2 silos; share/import across them; a revoked key refused at once by both; test run time {Elapsed.TotalSeconds:F1} s");
    }
}
