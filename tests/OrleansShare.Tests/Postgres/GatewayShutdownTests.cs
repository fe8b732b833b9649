using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class GatewayShutdownTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    private const int Decisions = 8;
    private const int Imports = 8;
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(60);

    /// <summary>The gateway logs each request as it begins (ASP.NET Core hosting diagnostics), so the test sees them in flight.</summary>
    private static readonly Dictionary<string, string> RequestLogging = new()
    {
        ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
    };

    /// <summary>A client gateway, and a co-hosted one (<c>Cluster__HostSilo=true</c>) whose own silo stops after its requests finish.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestsInFlightWhenTheGatewayGetsSigtermCompleteWithTheirNormalAnswer(bool hostsSilo)
    {
        var cluster = await NewClusterAsync(silos: 2, gateways: 1, cohostedGateways: hostsSilo ? 1 : 0);
        for (var i = 0; i < cluster.SiloCount; i++)
        {
            cluster.StartSilo(i);
        }

        var gatewayProcess = cluster.StartGateway(0, RequestLogging);
        await cluster.WaitReadyAsync(0, cluster.ClusterSiloCount, Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);
        var undecided = new List<Guid>();
        for (var n = 0; n < Decisions; n++)
        {
            var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/", new { vendor_data = $"late-{n}" }, partners.SourceKey, cancellationToken: Cancel);
            undecided.Add(Guid.Parse(created["session_id"]!.GetValue<string>()));
        }

        var tokens = new List<string>();
        for (var n = 0; n < Imports; n++)
        {
            var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, n, business: false, Cancel);
            tokens.Add(await partners.ShareAsync(gateway, sessionId, Cancel));
        }

        // Act: every request has sent its headers and half its body when the gateway gets SIGTERM; the rest follows after.
        var startedBefore = gatewayProcess.CountInLog("Request starting");
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var decisions = undecided.Select((sessionId, n) => gateway.SendContentAsync(HttpMethod.Put, $"/v3/session/{sessionId}/decision/",
            new HalfThenRest(Decision(n), rest.Task), partners.SourceKey, cancellationToken: Cancel)).ToList();
        var imports = tokens.Select(token => gateway.SendContentAsync(HttpMethod.Post, "/v3/session/import-shared/",
            new HalfThenRest(Partners.ImportBody(token), rest.Task), partners.PartnerKey, cancellationToken: Cancel)).ToList();
        await gatewayProcess.WaitForLogAsync("Request starting", startedBefore + Decisions + Imports, LogDeadline, Cancel);
        await gatewayProcess.SignalTerminateAsync();
        await gatewayProcess.WaitForLogAsync("Application is shutting down", 1, LogDeadline, Cancel);
        rest.SetResult();
        var decided = await Task.WhenAll(decisions);
        var imported = await Task.WhenAll(imports);
        await gatewayProcess.WaitForExitAsync(ProcessCluster.StopDeadline);

        // Assert: each got its normal answer, the gateway exited cleanly, and what it acknowledged is stored.
        Assert.All(decided, answer => Assert.True(answer.Status == 200, $"decision: {answer.Status} {answer.Text}"));
        Assert.All(imported, answer => Assert.True(answer.Status == 201, $"import: {answer.Status} {answer.Text}"));
        Assert.True(gatewayProcess.ExitCode == 0, gatewayProcess.Tail());
        cluster.StartGateway(0);
        await cluster.WaitReadyAsync(0, cluster.ClusterSiloCount, Cancel);
        foreach (var (sessionId, n) in undecided.Select((id, n) => (id, n)))
        {
            var document = await gateway.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{sessionId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel);
            Assert.True(Partners.SectionsMatch(Decision(n), document, out var difference), difference);
        }

        foreach (var answer in imported)
        {
            await gateway.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{answer.Json["session_id"]!.GetValue<string>()}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        }

        Log($"{(hostsSilo ? "co-hosted" : "client")} gateway: {Decisions} decisions and {Imports} imports in flight at SIGTERM: all answered 200/201; the gateway exited with 0; test run time {Elapsed.TotalSeconds:F1} s");
    }

    private static JsonObject Decision(int n) => new()
    {
        ["status"] = "Approved",
        ["id_verifications"] = new JsonArray(new JsonObject { ["document_number"] = $"LATE{n}", ["pages"] = 2 }),
    };

    /// <summary>A JSON body sent in two parts: the first half at once, the rest when <c>rest</c> completes.</summary>
    private sealed class HalfThenRest : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly Task _rest;

        public HalfThenRest(JsonObject body, Task rest)
        {
            _bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            _rest = rest;
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _bytes.Length / 2;
            await stream.WriteAsync(_bytes.AsMemory(0, half));
            await stream.FlushAsync();
            await _rest;
            await stream.WriteAsync(_bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
