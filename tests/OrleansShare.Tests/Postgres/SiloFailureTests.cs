using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class SiloFailureTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    private const int Tokens = 1000;
    private const int ImportsPerToken = 8;
    private const int InFlight = 64;
    private const int KillAfterImportedTokens = 150;
    private const int Victim = 0;
    /// <summary>Answers other than 201/403 end within this time of the kill: detection, and the calls it releases.</summary>
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDeadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ImportStormKeepsSingleRedemptionWhenASiloIsKilledPartWay()
    {
        var cluster = await NewClusterAsync(silos: 3, gateways: 2);
        await cluster.StartAllAsync(Cancel);
        var partners = await Partners.ProvisionAsync(cluster.Gateway(0), Cancel);
        var setup = Stopwatch.StartNew();
        var sources = new Source[Tokens];
        await Parallel.ForAsync(0, Tokens, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Cancel }, async (n, ct) =>
        {
            var gateway = cluster.Gateway(n % 2);
            var (sessionId, decision) = await partners.CreateDecidedSessionAsync(gateway, n, business: false, ct);
            sources[n] = new Source(sessionId, decision, await partners.ShareAsync(gateway, sessionId, ct));
        });
        Log($"setup: {Tokens} decided source sessions shared with the partner in {setup.Elapsed.TotalSeconds:F1} s");

        // Act: 8 concurrent imports per token over both gateways, 64 in flight; SIGKILL one silo once 150 tokens have a 201.
        var clock = Stopwatch.StartNew();
        var attempts = new ConcurrentQueue<Attempt>();
        var imported = new ConcurrentDictionary<int, byte>();
        var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killedAt = TimeSpan.MinValue;
        var declaredDeadAfter = TimeSpan.Zero;
        var kill = Task.Run(async () =>
        {
            await killNow.Task.WaitAsync(Cancel);
            killedAt = clock.Elapsed;
            await cluster.KillSiloAsync(Victim);
            Log($"SIGKILL silo-{Victim} at {killedAt.TotalSeconds:F2} s ({imported.Count} tokens imported)");
            await cluster.WaitForSiloGoneAsync(Victim, Cancel);
            declaredDeadAfter = clock.Elapsed - killedAt;
        }, Cancel);

        var requests = Enumerable.Range(0, Tokens).SelectMany(n => Enumerable.Range(0, ImportsPerToken).Select(k => (Token: n, Gateway: k % 2)));
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = Cancel }, async (request, ct) =>
        {
            var attempt = await ImportAsync(cluster, partners, sources, request.Token, request.Gateway, clock, retry: false, ct);
            attempts.Enqueue(attempt);
            if (attempt.Status == 201 && imported.TryAdd(request.Token, 0) && imported.Count >= KillAfterImportedTokens)
            {
                killNow.TrySetResult();
            }
        });
        var stormDuration = clock.Elapsed;
        killNow.TrySetResult();
        await kill;

        // Every token that got no 201 is retried, again 8 concurrent imports over both gateways, until it resolves: a 201,
        // or a 403 (redeemed by an earlier call). Bounded by a deadline; rounds are paced by a short poll interval.
        var retryRounds = 0;
        var unresolved = Enumerable.Range(0, Tokens).Where(n => !imported.ContainsKey(n)).ToList();
        var retried = unresolved.Count;
        var retryDeadline = clock.Elapsed + RetryDeadline;
        while (unresolved.Count > 0 && clock.Elapsed < retryDeadline)
        {
            retryRounds++;
            var round = new ConcurrentQueue<Attempt>();
            var retries = unresolved.SelectMany(n => Enumerable.Range(0, ImportsPerToken).Select(k => (Token: n, Gateway: k % 2)));
            await Parallel.ForEachAsync(retries, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = Cancel }, async (request, ct) =>
                round.Enqueue(await ImportAsync(cluster, partners, sources, request.Token, request.Gateway, clock, retry: true, ct)));
            foreach (var attempt in round)
            {
                attempts.Enqueue(attempt);
            }

            var resolved = round.Where(a => a.Status is 201 or 403).Select(a => a.Token).ToHashSet();
            unresolved = [.. unresolved.Where(n => !resolved.Contains(n))];
            if (unresolved.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), Cancel);
            }
        }

        var deathSeen = Stopwatch.StartNew();
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);
        await cluster.WaitReadyAsync(1, expectedSilos: 2, Cancel);
        Log($"both gateways report 2 silos ({deathSeen.Elapsed.TotalSeconds:F1} s after the retries ended)");

        // Assert, first the figures.
        var all = attempts.ToList();
        var storm = all.Where(a => !a.Retry).ToList();
        var others = all.Where(a => a.Status is not (201 or 403)).ToList();
        var windowEnd = others.Count == 0 ? killedAt : others.Max(a => a.EndedAt);
        var window = windowEnd - killedAt;
        Log($"storm: {Tokens} tokens x {ImportsPerToken} imports = {storm.Count} requests, {InFlight} in flight, {stormDuration.TotalSeconds:F1} s " +
            $"({storm.Count / stormDuration.TotalSeconds:F0} req/s)");
        Log($"storm answers: 201 = {storm.Count(a => a.Status == 201)}, 403 = {storm.Count(a => a.Status == 403)}, others = {storm.Count(a => a.Status is not (201 or 403))} " +
            $"[{Describe(storm.Where(a => a.Status is not (201 or 403)))}]");
        Log($"retries: {retried} tokens without a 201 after the storm, {retryRounds} rounds, answers 201 = {all.Count(a => a.Retry && a.Status == 201)}, " +
            $"403 = {all.Count(a => a.Retry && a.Status == 403)}, others = {all.Count(a => a.Retry && a.Status is not (201 or 403))}");
        Log("timeline, answers per second of the storm and retries (201/403/other): " + Timeline(all));
        var inFlightAtKill = all.Where(a => a.StartedAt <= killedAt && a.EndedAt >= killedAt).ToList();
        Log($"requests in flight at the kill: {inFlightAtKill.Count}, the last answered {(inFlightAtKill.Count == 0 ? 0 : (inFlightAtKill.Max(a => a.EndedAt) - killedAt).TotalSeconds):F2} s after it " +
            $"[{Describe(inFlightAtKill)}]");
        Log($"failover window: {window.TotalSeconds:F2} s (kill at {killedAt.TotalSeconds:F2} s, declared dead in the membership table " +
            $"{declaredDeadAfter.TotalSeconds:F2} s later, last non-201/403 answer at {windowEnd.TotalSeconds:F2} s); " +
            $"non-201/403 answers before the kill: {others.Count(a => a.EndedAt < killedAt)}");

        Assert.NotEqual(TimeSpan.MinValue, killedAt);
        Assert.True(killedAt < stormDuration, $"The silo was killed only after the storm ended ({killedAt} >= {stormDuration}).");
        Assert.All(others, a => Assert.True(a.EndedAt >= killedAt,
            $"Token {a.Token} got {a.Status} at {a.EndedAt.TotalSeconds:F2} s, before the kill at {killedAt.TotalSeconds:F2} s: {a.Text}"));
        Assert.DoesNotContain(all, a => a.Status == 500);
        Assert.True(window < FailoverBound, $"The failover window {window.TotalSeconds:F2} s exceeds {FailoverBound.TotalSeconds:F0} s: " +
            $"{Describe(others)}, the last at {windowEnd.TotalSeconds:F2} s ({others.MaxBy(a => a.EndedAt)?.Text}).");
        Assert.Empty(unresolved);

        var successes = all.Where(a => a.Status == 201).GroupBy(a => a.Token).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(successes, s => Assert.True(s.Value.Count == 1, $"Token {s.Key} was imported {s.Value.Count} times."));

        // A token without any 201 is one whose single success was answered by the outage: the call that redeemed it
        // ran into the kill (its silo died after the durable 'redeemed' write, or its caller timed out first), so that
        // caller got a 503 and every later call a 403. Nothing was lost: its clone is checked below like every other.
        var answerLost = Enumerable.Range(0, Tokens).Where(n => !successes.ContainsKey(n)).ToList();
        Assert.All(answerLost, n => Assert.True(all.Any(a => a.Token == n && a.Status is not (201 or 403)),
            $"Token {n} got only 403s, never a 201 and never an outage answer: {string.Join(", ", all.Where(a => a.Token == n).Select(a => a.Status))}"));

        // Every token's clone is the one derived from its token id; every 201 names it; it reads back with the source's full content.
        var partnerReader = cluster.Gateway(0);
        await Parallel.ForAsync(0, Tokens, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Cancel }, async (n, ct) =>
        {
            var source = sources[n];
            var cloneId = ExpectedCloneId(source.Token);
            if (successes.TryGetValue(n, out var success))
            {
                var answer = success[0].Body!;
                Assert.Equal(cloneId, answer["session_id"]?.GetValue<string>());
                Assert.Equal(source.SessionId.ToString(), answer["shared_from_session"]?.GetValue<string>());
                Assert.True(Partners.SectionsMatch(source.Decision, answer, out var inAnswer), $"Token {n}, import answer: {inAnswer}");
            }

            var clone = await partnerReader.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{cloneId}/decision/", apiKey: partners.PartnerKey, cancellationToken: ct);
            Assert.True(Partners.SectionsMatch(source.Decision, clone, out var readBack), $"Token {n}, clone {cloneId}: {readBack}");
            Assert.Equal(source.SessionId.ToString(), clone["shared_from_session"]?.GetValue<string>());
        });

        cluster.ThrowIfAnyCrashed();

        // In PostgreSQL: every redeemed token has its clone in the partner's session index, and nothing else is there.
        var stored = await StoredRedemptionsAsync(cluster, partners.PartnerId);
        Assert.Equal(Tokens, stored.Tokens.Count);
        Assert.All(stored.Tokens, t => Assert.Equal("redeemed", t.Status));
        Assert.All(stored.Tokens, t => Assert.True(t.CloneId is { } id && stored.PartnerSessions.Contains(id),
            $"Token {t.Key} is {t.Status} but its clone {t.CloneId} is not in the partner's session index."));
        Assert.Equal(Tokens, stored.PartnerSessions.Count);
        Log($"checked: {successes.Count} tokens with exactly one 201, {answerLost.Count} whose only success was answered 503 by the outage " +
            $"[{string.Join(", ", answerLost)}], no token with two; every clone read back deep-equal, {stored.Tokens.Count} redeemed token rows, " +
            $"{stored.PartnerSessions.Count} partner sessions in session_index; test run time {Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<Attempt> ImportAsync(
        ProcessCluster cluster, Partners partners, Source[] sources, int token, int gateway, Stopwatch clock, bool retry, CancellationToken ct)
    {
        var started = clock.Elapsed;
        var answer = await cluster.Gateway(gateway).SendAsync(HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(sources[token].Token), partners.PartnerKey, cancellationToken: ct);
        return new Attempt(token, gateway, answer.Status, started, clock.Elapsed, retry, answer.Status == 201 ? answer.Body : null, answer.Status is 201 or 403 ? "" : answer.Text);
    }

    /// <summary>The clone a token's import makes: the one session its source can be imported as in the token's audience.</summary>
    private static string ExpectedCloneId(string token)
    {
        var claims = TestTokens.Payload(token);
        return NameBasedGuid.ForImport(
            Guid.Parse(claims["session_id"]!.GetValue<string>()), Guid.Parse(claims["for_application_id"]!.GetValue<string>())).ToString();
    }

    private static async Task<(List<StoredToken> Tokens, HashSet<Guid> PartnerSessions)> StoredRedemptionsAsync(ProcessCluster cluster, Guid partnerId)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(Cancel);
        var tokens = new List<StoredToken>();
        await using (var command = new NpgsqlCommand("""
            SELECT grainidextensionstring, doc ->> 'status', doc -> 'plan' ->> 'new_session_id'
            FROM (SELECT grainidextensionstring, convert_from(payloadbinary, 'UTF8')::jsonb AS doc
                  FROM orleansstorage WHERE serviceid = @service AND graintypestring = 'share-token' AND payloadbinary IS NOT NULL) t
            """, connection))
        {
            command.Parameters.AddWithValue("service", cluster.ServiceId);
            await using var reader = await command.ExecuteReaderAsync(Cancel);
            while (await reader.ReadAsync(Cancel))
            {
                tokens.Add(new StoredToken(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : Guid.Parse(reader.GetString(2))));
            }
        }

        var sessions = new HashSet<Guid>();
        await using (var command = new NpgsqlCommand(
            "SELECT session_id FROM session_index WHERE service_id = @service AND application_id = @partner", connection))
        {
            command.Parameters.AddWithValue("service", cluster.ServiceId);
            command.Parameters.AddWithValue("partner", partnerId);
            await using var reader = await command.ExecuteReaderAsync(Cancel);
            while (await reader.ReadAsync(Cancel))
            {
                sessions.Add(reader.GetGuid(0));
            }
        }

        return (tokens, sessions);
    }

    private static string Timeline(IEnumerable<Attempt> attempts) => string.Join(" ", attempts
        .GroupBy(a => (int)a.EndedAt.TotalSeconds)
        .OrderBy(g => g.Key)
        .Select(g => $"{g.Key}s:{g.Count(a => a.Status == 201)}/{g.Count(a => a.Status == 403)}/{g.Count(a => a.Status is not (201 or 403))}"));

    private static string Describe(IEnumerable<Attempt> attempts) => string.Join("; ", attempts
        .GroupBy(a => a.Status == 0 ? "no answer" : a.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .Select(g => $"{g.Key}: {g.Count()}"));

    private sealed record Source(Guid SessionId, JsonObject Decision, string Token);

    private sealed record Attempt(int Token, int Gateway, int Status, TimeSpan StartedAt, TimeSpan EndedAt, bool Retry, JsonNode? Body, string Text);

    private sealed record StoredToken(string Key, string Status, Guid? CloneId);
}
