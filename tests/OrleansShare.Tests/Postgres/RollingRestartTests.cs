using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class RollingRestartTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    private const int Workers = 2;
    private const int ImportsBetweenRestarts = 5;
    private static readonly TimeSpan ProgressDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task EveryAcknowledgedOperationSurvivesRestartingEachSiloInTurnUnderLoad()
    {
        var cluster = await NewClusterAsync(silos: 3, gateways: 2);
        await cluster.StartAllAsync(Cancel);
        var partners = await Partners.ProvisionAsync(cluster.Gateway(0), Cancel);
        var journal = new Journal();
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var clock = Stopwatch.StartNew();
        var load = Enumerable.Range(0, Workers).Select(w => Task.Run(() => RunWorkerAsync(cluster, partners, w, journal, stopLoad.Token))).ToList();

        // Act: SIGTERM each silo in turn, start it again, wait until it is back in the cluster and the load moved on.
        await WaitForImportsAsync(journal, ImportsBetweenRestarts);
        for (var i = 0; i < cluster.SiloCount; i++)
        {
            var generation = await cluster.SiloGenerationAsync(i, Cancel);
            var restart = Stopwatch.StartNew();
            await cluster.StopSiloAsync(i);
            var stopped = restart.Elapsed;
            Assert.True(cluster.Silo(i).ExitCode == 0, $"silo-{i} did not exit cleanly on SIGTERM.\n{cluster.Silo(i).Tail()}");
            Assert.DoesNotContain(cluster.SiloPort(i), await cluster.ActiveSiloPortsAsync(Cancel));
            cluster.StartSilo(i);
            await cluster.WaitForSiloJoinedAsync(i, after: generation, Cancel);
            await cluster.WaitForActiveSilosAsync(cluster.SiloCount, Cancel);
            for (var j = 0; j < cluster.GatewayCount; j++)
            {
                await cluster.WaitReadyAsync(j, cluster.SiloCount, Cancel);
            }

            Log($"silo-{i}: stopped in {stopped.TotalSeconds:F1} s, rejoined {restart.Elapsed.TotalSeconds:F1} s after SIGTERM; {journal.Imports.Count} imports so far");
            await WaitForImportsAsync(journal, journal.Imports.Count + ImportsBetweenRestarts);
        }

        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        var loadDuration = clock.Elapsed;

        // Assert: every 2xx is visible: sessions and decisions read back, clones read back, redeemed tokens are spent.
        var source = cluster.Gateway(0);
        var partner = cluster.Gateway(1);
        foreach (var sessionId in journal.Created.Keys)
        {
            var document = await source.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{sessionId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel);
            if (journal.Decided.TryGetValue(sessionId, out var decision))
            {
                Assert.Equal("Approved", document["status"]?.GetValue<string>());
                Assert.True(Partners.SectionsMatch(decision, document, out var difference), $"Session {sessionId}: {difference}");
            }
        }

        foreach (var (token, (sourceId, cloneId)) in journal.Imports)
        {
            var clone = await partner.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
            Assert.Equal(sourceId.ToString(), clone["shared_from_session"]?.GetValue<string>());
            Assert.True(Partners.SectionsMatch(journal.Decided[sourceId], clone, out var difference), $"Clone {cloneId}: {difference}");
            var again = await partner.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);
            Assert.True(again.Status == 403, $"Token of clone {cloneId} is not spent: {again.Status} {again.Text}");
        }

        foreach (var sessionId in journal.Shared.Values)
        {
            var reviews = await source.ExpectAsync(200, HttpMethod.Get, $"/v3/sessions/{sessionId}/reviews/", apiKey: partners.SourceKey, cancellationToken: Cancel);
            Assert.Contains(reviews.AsArray(), entry => entry?["action"]?.GetValue<string>() == "shared");
        }

        // A share whose import got no 2xx resolves now: a 201, or a 403 when that import did redeem it (its answer was
        // lost to the restart); then its clone, derived from the token, must exist. No token is spent without its session.
        var unanswered = journal.Shared.Keys.Where(token => !journal.Imports.ContainsKey(token)).ToList();
        foreach (var token in unanswered)
        {
            var resolved = await ResolveImportAsync(partner, partners, token);
            if (resolved.Status == 403)
            {
                await partner.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{CloneIdOf(token)}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel);
            }
        }

        var failures = journal.Failures.ToList();
        Log($"load: {Workers} workers for {loadDuration.TotalSeconds:F1} s; 2xx: {journal.Created.Count} sessions created, {journal.Decided.Count} decisions, " +
            $"{journal.Shared.Count} shares, {journal.Imports.Count} imports, {journal.Reads} clone reads; all read back after the restarts");
        Log($"shares whose import got no 2xx: {unanswered.Count}, each now imported or spent with its clone present");
        Log($"non-2xx answers during the restarts: {failures.Count}" +
            (failures.Count == 0 ? "" : " [" + string.Join("; ", failures.GroupBy(f => f).Select(g => $"{g.Key}: {g.Count()}")) + "]"));
        Log($"test run time {Elapsed.TotalSeconds:F1} s");
        Assert.True(journal.Imports.Count >= (cluster.SiloCount + 1) * ImportsBetweenRestarts);
        cluster.ThrowIfAnyCrashed();
    }

    /// <summary>
    /// create → decision → share → import → read back, in a loop; every 2xx goes into the journal. <paramref name="stop"/>
    /// ends the loop between steps; a request already sent always gets its answer (only the test's own token cancels it).
    /// </summary>
    private static async Task RunWorkerAsync(ProcessCluster cluster, Partners partners, int worker, Journal journal, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var gateway = cluster.Gateway((worker + n) % cluster.GatewayCount);
            var decision = new JsonObject
            {
                ["status"] = "Approved",
                ["id_verifications"] = new JsonArray(new JsonObject { ["document_number"] = $"W{worker}-{n}", ["score"] = 0.875, ["extra"] = null }),
            };

            var created = await Step(journal, "create", gateway.SendAsync(HttpMethod.Post, "/v3/session/", new { vendor_data = $"w{worker}-{n}" }, partners.SourceKey, cancellationToken: Cancel));
            if (created is null)
            {
                continue;
            }

            var sessionId = Guid.Parse(created["session_id"]!.GetValue<string>());
            journal.Created[sessionId] = 0;
            if (await Step(journal, "decision", gateway.SendAsync(HttpMethod.Put, $"/v3/session/{sessionId}/decision/", decision.DeepClone(), partners.SourceKey, cancellationToken: Cancel)) is null)
            {
                continue;
            }

            journal.Decided[sessionId] = decision;
            var shared = await Step(journal, "share", gateway.SendAsync(HttpMethod.Post, $"/v3/session/{sessionId}/share/", new { for_application_id = partners.PartnerId }, partners.SourceKey, cancellationToken: Cancel));
            if (shared is null)
            {
                continue;
            }

            var token = shared["share_token"]!.GetValue<string>();
            journal.Shared[token] = sessionId;
            var imported = await Step(journal, "import", gateway.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel));
            if (imported is null)
            {
                continue;
            }

            var cloneId = imported["session_id"]!.GetValue<string>();
            journal.Imports[token] = (sessionId, cloneId);
            if (await Step(journal, "read", gateway.SendAsync(HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: Cancel)) is not null)
            {
                Interlocked.Increment(ref journal.Reads);
            }
        }
    }

    private static async Task<JsonNode?> Step(Journal journal, string operation, Task<ApiResponse> call)
    {
        var answer = await call;
        if (answer.Status is >= 200 and < 300)
        {
            return answer.Body ?? new JsonObject();
        }

        journal.Failures.Enqueue($"{operation} {(answer.Status == 0 ? "no answer" : answer.Status)}");
        return null;
    }

    /// <summary>Imports <paramref name="token"/> until it resolves to 201 or 403 (bounded).</summary>
    private static async Task<ApiResponse> ResolveImportAsync(GatewayClient gateway, Partners partners, string token)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var answer = await gateway.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(token), partners.PartnerKey, cancellationToken: Cancel);
            if (answer.Status is 201 or 403)
            {
                return answer;
            }

            Assert.True(deadline.Elapsed < ProgressDeadline, $"An import still answers {answer.Status} after the restarts: {answer.Text}");
            await Task.Delay(TimeSpan.FromMilliseconds(250), Cancel);
        }
    }

    /// <summary>The clone a token's import makes: the one session its source can be imported as in the token's audience.</summary>
    private static string CloneIdOf(string token)
    {
        var claims = TestTokens.Payload(token);
        return NameBasedGuid.ForImport(
            Guid.Parse(claims["session_id"]!.GetValue<string>()), Guid.Parse(claims["for_application_id"]!.GetValue<string>())).ToString();
    }

    private static async Task WaitForImportsAsync(Journal journal, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (journal.Imports.Count < count)
        {
            Assert.True(deadline.Elapsed < ProgressDeadline, $"The load made no progress: {journal.Imports.Count} of {count} imports within {ProgressDeadline}.");
            await Task.Delay(TimeSpan.FromMilliseconds(100), Cancel);
        }
    }

    private sealed class Journal
    {
        public ConcurrentDictionary<Guid, byte> Created { get; } = new();
        public ConcurrentDictionary<Guid, JsonObject> Decided { get; } = new();
        public ConcurrentDictionary<string, Guid> Shared { get; } = new();
        public ConcurrentDictionary<string, (Guid Source, string Clone)> Imports { get; } = new();
        public ConcurrentQueue<string> Failures { get; } = new();
#pragma warning disable CA1051 // incremented with Interlocked
        public int Reads;
#pragma warning restore CA1051
    }
}
