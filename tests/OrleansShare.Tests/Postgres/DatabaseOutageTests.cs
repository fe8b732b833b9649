using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// PostgreSQL stops for 8 s under an import storm on a co-hosted cluster, then starts again. During it the API answers
/// 503 with Retry-After (never a 500, never later than 5 s); reads of active sessions keep answering from memory; within
/// 3 s of the database's return every request works again, with no restart and every silo still in the cluster; and
/// nothing acknowledged is lost, no token ends spent without its session.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class DatabaseOutageTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    // Enough tokens that first imports are still under way when the database goes: a first import of a fresh token
    // takes the grain write path (300 were all imported within the first second once the path got faster).
    private const int Tokens = 1500;
    private const int InFlight = 16;
    private static readonly TimeSpan LoadBeforeOutage = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan LoadAfterOutage = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ResolveDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AnOutageUnderAnImportStormAnswers503AndEverythingWorksAgainWhenTheDatabaseReturns()
    {
        var cluster = await NewClusterAsync(silos: 0, gateways: 2, cohostedGateways: 2);
        await cluster.StartAllAsync(Cancel);
        var partners = await Partners.ProvisionAsync(cluster.Gateway(0), Cancel);
        var tokens = new string[Tokens];
        await Parallel.ForAsync(0, Tokens, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Cancel }, async (n, ct) =>
        {
            var gateway = cluster.Gateway(n % 2);
            var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, n, business: false, ct);
            tokens[n] = await partners.ShareAsync(gateway, sessionId, ct);
        });

        // A clone made before the outage: an active session, whose reads must not need the database.
        var first = await cluster.Gateway(0).ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(tokens[0]), partners.PartnerKey, cancellationToken: Cancel);
        var activeClone = first["session_id"]!.GetValue<string>();

        // Act: imports of every token (duplicates included) from 16 workers over both gateways, and reads of the active
        // clone, while PostgreSQL stops for 8 s and starts again.
        var clock = Stopwatch.StartNew();
        var attempts = new ConcurrentQueue<Attempt>();
        var reads = new ConcurrentQueue<Attempt>();
        var stopLoadAtTicks = long.MaxValue;
        var next = 0;
        var load = Enumerable.Range(0, InFlight).Select(worker => Task.Run(async () =>
        {
            while (clock.Elapsed.Ticks < Interlocked.Read(ref stopLoadAtTicks))
            {
                var token = Interlocked.Increment(ref next) % Tokens;
                attempts.Enqueue(await ImportAsync(cluster, partners, tokens, token, worker % 2, clock, Cancel));
                if (worker == 0)
                {
                    reads.Enqueue(await ReadAsync(cluster, partners, activeClone, (token / 2) % 2, clock, Cancel));
                }
            }
        }, Cancel)).ToList();

        await Task.Delay(LoadBeforeOutage, Cancel);
        var stoppingAt = clock.Elapsed;
        await Server.StopAsync();
        var stoppedAt = clock.Elapsed;
        Log($"PostgreSQL stopped at {stoppedAt.TotalSeconds:F2} s (stop began at {stoppingAt.TotalSeconds:F2} s)");

        // A key never seen before cannot be checked while the database is away: 503, not a 500 and not a 401.
        var unknownKey = await cluster.Gateway(1).SendAsync(HttpMethod.Get, "/v3/sessions/", apiKey: "sk_unknown_" + Guid.NewGuid().ToString("N"), cancellationToken: Cancel);
        await Task.Delay(Outage - (clock.Elapsed - stoppedAt), Cancel);
        await Server.StartAsync();
        var returnedAt = clock.Elapsed;
        Log($"PostgreSQL accepts connections again at {returnedAt.TotalSeconds:F2} s");
        Interlocked.Exchange(ref stopLoadAtTicks, (returnedAt + LoadAfterOutage).Ticks);
        await Task.WhenAll(load);

        // Every token not yet answered 201 or 403 is imported again until it is: the import it began either finished
        // (403, naming the clone) or never landed (201 now).
        var all = attempts.ToList();
        var resolved = all.Where(a => a.Status is 201 or 403).Select(a => a.Token).ToHashSet();
        var deadline = clock.Elapsed + ResolveDeadline;
        var rounds = 0;
        while (resolved.Count < Tokens && clock.Elapsed < deadline)
        {
            rounds++;
            var round = await Task.WhenAll(Enumerable.Range(0, Tokens).Where(n => !resolved.Contains(n))
                .Select(n => ImportAsync(cluster, partners, tokens, n, n % 2, clock, Cancel)));
            all.AddRange(round);
            resolved.UnionWith(round.Where(a => a.Status is 201 or 403).Select(a => a.Token));
        }

        // Assert: the answers.
        Log($"imports: {all.Count} answers: {Describe(all)}; reads of the active clone: {Describe(reads)}; {rounds} rounds to resolve the rest");
        Log("timeline, imports answered per second (201/403/503/other): " + Timeline(all));
        Assert.DoesNotContain(all, a => a.Status is not (201 or 403 or 503));
        Assert.True(unknownKey.Status == 503 && !string.IsNullOrEmpty(unknownKey.RetryAfter),
            $"An unknown key during the outage got {unknownKey.Status} (Retry-After: {unknownKey.RetryAfter}): {unknownKey.Text}");
        Assert.All(all.Where(a => a.Status == 503), a => Assert.False(string.IsNullOrEmpty(a.RetryAfter), $"A 503 without Retry-After: {a.Text}"));
        var slowest = all.Concat(reads).MaxBy(a => a.EndedAt - a.StartedAt)!;
        Assert.True(slowest.EndedAt - slowest.StartedAt <= AnswerBound,
            $"A request took {(slowest.EndedAt - slowest.StartedAt).TotalSeconds:F2} s (started {slowest.StartedAt.TotalSeconds:F2} s): {slowest.Status} {slowest.Text}");
        Assert.True(all.Any(a => a.Status == 503 && a.StartedAt >= stoppedAt && a.EndedAt <= returnedAt), "No import was answered 503 during the outage.");
        Assert.All(reads, r => Assert.True(r.Status == 200, $"A read of an active session at {r.StartedAt.TotalSeconds:F2} s got {r.Status}: {r.Text}"));
        Assert.Contains(reads, r => r.StartedAt >= stoppedAt && r.EndedAt <= returnedAt);
        var afterRecovery = all.Where(a => a.StartedAt >= returnedAt + RecoveryBound).ToList();
        Assert.NotEmpty(afterRecovery);
        Assert.All(afterRecovery, a => Assert.True(a.Status is 201 or 403,
            $"{(a.StartedAt - returnedAt).TotalSeconds:F2} s after the database returned an import got {a.Status}: {a.Text}"));
        Assert.Equal(Tokens, resolved.Count);

        // No restart: every process still runs, and both gateways still see both silos.
        cluster.ThrowIfAnyCrashed();
        await cluster.WaitReadyAsync(0, expectedSilos: 2, Cancel);
        await cluster.WaitReadyAsync(1, expectedSilos: 2, Cancel);

        // Nothing acknowledged lost: every 201 is one token's only one, and its clone reads back. No token spent without its
        // session: every token stored redeemed has its clone in the partner's session index.
        var successes = all.Where(a => a.Status == 201).GroupBy(a => a.Token).ToList();
        Assert.All(successes, s => Assert.True(s.Count() == 1, $"Token {s.Key} was imported {s.Count()} times."));
        foreach (var success in successes)
        {
            await cluster.Gateway(0).ExpectAsync(200, HttpMethod.Get, $"/v3/session/{success.Single().CloneId}/decision/",
                apiKey: partners.PartnerKey, cancellationToken: Cancel);
        }

        var (redeemed, partnerSessions) = await StoredAsync(cluster, partners.PartnerId);
        Assert.Equal(Tokens, redeemed.Count);
        Assert.All(redeemed, clone => Assert.Contains(clone, partnerSessions));
        Log($"checked: {successes.Count} tokens answered 201 once each, {Tokens - successes.Count} whose 201 the outage took (403 since), " +
            $"{redeemed.Count} redeemed tokens, each with its clone; test run time {Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<Attempt> ImportAsync(
        ProcessCluster cluster, Partners partners, string[] tokens, int token, int gateway, Stopwatch clock, CancellationToken ct)
    {
        var started = clock.Elapsed;
        var answer = await cluster.Gateway(gateway).SendAsync(HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(tokens[token]), partners.PartnerKey, cancellationToken: ct);
        var cloneId = answer.Status == 201 ? answer.Body?["session_id"]?.GetValue<string>() : null;
        return new Attempt(token, answer.Status, started, clock.Elapsed, answer.RetryAfter, cloneId, answer.Text);
    }

    private static async Task<Attempt> ReadAsync(ProcessCluster cluster, Partners partners, string sessionId, int gateway, Stopwatch clock, CancellationToken ct)
    {
        var started = clock.Elapsed;
        var answer = await cluster.Gateway(gateway).SendAsync(HttpMethod.Get, $"/v3/session/{sessionId}/decision/", apiKey: partners.PartnerKey, cancellationToken: ct);
        return new Attempt(-1, answer.Status, started, clock.Elapsed, answer.RetryAfter, null, answer.Status == 200 ? "" : answer.Text);
    }

    /// <summary>The clone each redeemed token names, and the partner's sessions in the session index.</summary>
    private static async Task<(List<Guid> Redeemed, HashSet<Guid> PartnerSessions)> StoredAsync(ProcessCluster cluster, Guid partnerId)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(Cancel);
        var redeemed = new List<Guid>();
        await using (var command = new NpgsqlCommand("""
            SELECT convert_from(payloadbinary, 'UTF8')::jsonb -> 'plan' ->> 'new_session_id'
            FROM orleansstorage WHERE serviceid = @service AND graintypestring = 'share-token' AND payloadbinary IS NOT NULL
            """, connection))
        {
            command.Parameters.AddWithValue("service", cluster.ServiceId);
            await using var reader = await command.ExecuteReaderAsync(Cancel);
            while (await reader.ReadAsync(Cancel))
            {
                redeemed.Add(Guid.Parse(reader.GetString(0)));
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

        return (redeemed, sessions);
    }

    private static string Timeline(IEnumerable<Attempt> attempts) => string.Join(" ", attempts
        .GroupBy(a => (int)a.EndedAt.TotalSeconds)
        .OrderBy(g => g.Key)
        .Select(g => $"{g.Key}s:{g.Count(a => a.Status == 201)}/{g.Count(a => a.Status == 403)}/{g.Count(a => a.Status == 503)}/{g.Count(a => a.Status is not (201 or 403 or 503))}"));

    private static string Describe(IEnumerable<Attempt> attempts) => string.Join(", ", attempts
        .GroupBy(a => a.Status)
        .OrderBy(g => g.Key)
        .Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))} x{g.Count()}"));

    private sealed record Attempt(int Token, int Status, TimeSpan StartedAt, TimeSpan EndedAt, string? RetryAfter, string? CloneId, string Text);
}
