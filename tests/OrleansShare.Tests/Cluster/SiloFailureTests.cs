using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

[Collection(SiloFailureCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class SiloFailureTests(SiloFailureClusterFixture fixture)
{
    private const int Tokens = 48;
    private const int CallsPerToken = 4;
    private const int MaxRetries = 5;

    [Fact]
    public async Task KillingASiloMidImportStormNeverRedeemsTwiceAndRetriesComplete()
    {
        var silos = fixture.Silos;
        var victim = silos[^1];
        var survivors = silos.Take(silos.Count - 1).ToList();
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importerApp = await fixture.CreateApplicationAsync("importer");
        var tokens = await Task.WhenAll(Enumerable.Range(0, Tokens).Select(async i =>
        {
            var session = await fixture.CreateApprovedSessionAsync(sourceApp, grains: ClusterFixture.GrainsOn(silos[i % silos.Count]));
            var key = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
            var request = new RedeemRequest(importerApp.ApplicationId, sourceApp.ApplicationId, session.SessionId, SessionKind.User,
                TrustReview: null, WorkflowId: null, VendorData: null, Actor: "partner");
            return new Token(key, NameBasedGuid.ForImport(session.SessionId, importerApp.ApplicationId), session.SessionId, request);
        }));
        await PlaceEveryThirdTokenOnAsync(tokens, victim);

        var completed = 0;
        var killPoint = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var storm = tokens
            .SelectMany((token, t) => Enumerable.Range(0, CallsPerToken).Select(c => (token, silo: silos[(t + c) % silos.Count])))
            .Select(async call =>
            {
                var outcome = await TryRedeemAsync(ClusterFixture.GrainsOn(call.silo), call.token);
                if (Interlocked.Increment(ref completed) == Tokens * CallsPerToken / 4)
                {
                    killPoint.TrySetResult();
                }

                return (call.token, outcome);
            })
            .ToList();
        await killPoint.Task.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        var hostedOnVictim = tokens.Count(t => HostOf(t.Key) is { } host && host.Equals(victim.SiloAddress));
        await fixture.Cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
        var firstRound = await Task.WhenAll(storm);
        await fixture.Cluster.WaitForLivenessToStabilizeAsync(didKill: true);

        // The kill may have cut a redemption between its writes (the token's 'redeemed' and the clone go through
        // different commit batches, and may be on different silos). Before any caller retries, one recovery sweep, as
        // every silo runs it on its timer, must leave no token spent without its session.
        var interrupted = await TokensRedeemedWithoutTheirCloneAsync(tokens, survivors[0]);
        await RecoveryOn(survivors[0]).SweepAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
        var redeemedWithoutClone = await TokensRedeemedWithoutTheirCloneAsync(tokens, survivors[0]);
        var retried = new List<(Token Token, Outcome Outcome)>();
        foreach (var (token, _) in firstRound.Where(r => r.outcome.Result is null))
        {
            retried.Add((token, await RetryAsync(token, survivors)));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{hostedOnVictim} token grains on the killed silo; {interrupted.Count} redemptions cut between their writes; "
            + $"{retried.Count} of {firstRound.Length} calls failed and were retried: "
            + string.Join(", ", firstRound.Where(r => r.outcome.Failure is not null).GroupBy(r => r.outcome.Failure!.GetType().Name).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.True(hostedOnVictim > 0, "No token grain was active on the killed silo; the test proved nothing.");
        Assert.Empty(redeemedWithoutClone);
        Assert.All(retried, r => Assert.NotNull(r.Outcome.Result));
        var outcomes = firstRound.Select(r => (Token: r.token, Outcome: r.outcome)).Concat(retried).ToList();
        var grains = ClusterFixture.GrainsOn(survivors[^1]);
        foreach (var token in tokens)
        {
            var answers = outcomes.Where(o => o.Token == token && o.Outcome.Result is not null).Select(o => o.Outcome.Result!).ToList();
            Assert.True(answers.Count(a => a.Status == RedeemStatus.Imported) <= 1, $"Token {token.Key} was imported more than once.");
            Assert.All(answers, a => Assert.Contains(a.Status, (RedeemStatus[])[RedeemStatus.Imported, RedeemStatus.AlreadyImported]));
            Assert.All(answers.Where(a => a.Status == RedeemStatus.Imported), a => Assert.Equal(token.CloneId, a.Session!.SessionId));
            Assert.Equal(RedemptionStatus.Redeemed, await grains.GetGrain<IShareTokenGrain>(token.Key).GetStatus());

            var source = await grains.GetGrain<ISessionGrain>(token.SourceSessionId).Get(sourceApp.ApplicationId);
            Assert.Equal(token.CloneId, Assert.Single(ClusterFixture.ImportsOf(source!)).Value);
            var clone = await grains.GetGrain<ISessionGrain>(token.CloneId).Get(importerApp.ApplicationId);
            Assert.NotNull(clone);
            Assert.Equal(token.SourceSessionId, clone.SharedFromSession);
        }

        Assert.Equal(Tokens, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
    }

    private static async Task<Outcome> TryRedeemAsync(IGrainFactory grains, Token token)
    {
        try
        {
            return new Outcome(await grains.GetGrain<IShareTokenGrain>(token.Key).Redeem(token.Request), null);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            return new Outcome(null, ex);
        }
    }

    /// <summary>Retries a failed call from the surviving silos until it is answered (a failure during recovery is retried too).</summary>
    private static async Task<Outcome> RetryAsync(Token token, List<InProcessSiloHandle> survivors)
    {
        var outcome = default(Outcome);
        for (var attempt = 0; attempt < MaxRetries && outcome?.Result is null; attempt++)
        {
            outcome = await TryRedeemAsync(ClusterFixture.GrainsOn(survivors[attempt % survivors.Count]), token);
        }

        return outcome!;
    }

    /// <summary>Activates every third token grain on <paramref name="silo"/>, so that killing it hits redemptions in flight.</summary>
    private async Task PlaceEveryThirdTokenOnAsync(IEnumerable<Token> tokens, InProcessSiloHandle silo)
    {
        foreach (var token in tokens.Where((_, i) => i % 3 == 0))
        {
            var grain = ClusterFixture.GrainsOn(silo).GetGrain<IShareTokenGrain>(token.Key);
            Assert.Equal(RedemptionStatus.Unredeemed, await grain.GetStatus());
            if (HostOf(token.Key) is not { } host || !host.Equals(silo.SiloAddress))
            {
                await fixture.Cluster.MigrateAsync(grain, silo.SiloAddress);
            }
        }
    }

    /// <summary>Reads storage directly (activating nothing): tokens stored as redeemed whose clone was never written.</summary>
    private static async Task<List<string>> TokensRedeemedWithoutTheirCloneAsync(IEnumerable<Token> tokens, InProcessSiloHandle silo)
    {
        var storage = ClusterFixture.StorageOn(silo);
        var grains = ClusterFixture.GrainsOn(silo);
        var missing = new List<string>();
        foreach (var token in tokens)
        {
            var tokenState = new GrainState<ShareTokenState>();
            await storage.ReadStateAsync(StateNames.ShareToken, GrainId.Create("share-token", token.Key), tokenState);
            if (tokenState.State?.Status != RedemptionStatus.Redeemed)
            {
                continue;
            }

            var cloneState = new GrainState<SessionState>();
            await storage.ReadStateAsync(StateNames.Session, grains.GetGrain<ISessionGrain>(token.CloneId).GetGrainId(), cloneState);
            if (!cloneState.RecordExists)
            {
                missing.Add(token.Key);
            }
        }

        return missing;
    }

    private static RedemptionRecoveryService RecoveryOn(InProcessSiloHandle silo) =>
        silo.ServiceProvider.GetServices<IHostedService>().OfType<RedemptionRecoveryService>().Single();

    private SiloAddress? HostOf(string tokenKey) =>
        fixture.Cluster.TryGetGrainContext(GrainId.Create("share-token", tokenKey), out var context) ? context.Address.SiloAddress : null;

    private sealed record Token(string Key, Guid CloneId, Guid SourceSessionId, RedeemRequest Request);

    private sealed record Outcome(RedeemResult? Result, Exception? Failure);
}
