using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// A redemption stopped after one of its durable steps is finished by the silos' recovery sweep, with no further call
/// for its token. The sweep calls the token grain directly, never through the gateway, so the token's expiry plays
/// no part: an interrupted redemption is finished also after its token has expired.
/// </summary>
/// <remarks>The cases run on SQLite here and on PostgreSQL (whose triggers record <c>redemption_part</c> apart) in
/// <c>Postgres.InterruptedRedemptionOnPostgresTests</c>.</remarks>
public abstract class InterruptedRedemptionCases(RecoveryClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Where the redemption stops: after sending some of its three writes, or with one of the three lost while the
    /// other two landed.
    /// </summary>
    public enum Interruption
    {
        AfterSourceSent,
        AfterCloneSent,
        SourceWriteLost,
        CloneWriteLost,
        TokenWriteLost,
    }

    [Theory]
    [InlineData(Interruption.AfterSourceSent)]
    [InlineData(Interruption.AfterCloneSent)]
    [InlineData(Interruption.SourceWriteLost)]
    [InlineData(Interruption.CloneWriteLost)]
    [InlineData(Interruption.TokenWriteLost)]
    public async Task AnInterruptedRedemptionIsFinishedWithoutAnotherCall(Interruption interruption)
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importer = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        var cloneId = NameBasedGuid.ForImport(source.SessionId, importer.ApplicationId);
        switch (interruption)
        {
            case Interruption.AfterSourceSent:
                fixture.Interruptions.InterruptOnce(tokenKey, RedemptionStep.SourceSent);
                break;
            case Interruption.AfterCloneSent:
                fixture.Interruptions.InterruptOnce(tokenKey, RedemptionStep.CloneSent);
                break;
            case Interruption.SourceWriteLost:
                fixture.Faults.FailNextWrite<SessionState>(s => s.PendingRedemption == tokenKey, afterCommit: false);
                break;
            case Interruption.CloneWriteLost:
                fixture.Faults.FailNextWrite<SessionState>(s => s.CompletedRedemption == tokenKey, afterCommit: false);
                break;
            default:
                fixture.Faults.FailNextWrite<ShareTokenState>(s => s.Plan?.TokenKey == tokenKey, afterCommit: false);
                break;
        }

        await Assert.ThrowsAnyAsync<Exception>(() => fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importer, sourceApp, source)));

        Assert.True(fixture.Faults.AllUsed);
        var stored = await WaitForStoredStatusAsync(tokenKey, RedemptionStatus.Redeemed);
        Assert.Equal(RedemptionStatus.Redeemed, stored.Status);
        Assert.Equal(cloneId, stored.Plan!.NewSessionId);
        await WaitUntilNoneIsPendingAsync();

        var grains = fixture.GrainsOn(1);
        var clone = await grains.GetGrain<ISessionGrain>(cloneId).Get(importer.ApplicationId);
        Assert.NotNull(clone);
        Assert.Equal(source.SessionId, clone.SharedFromSession);
        Assert.Equal(ClusterFixture.SeedSection, clone.Sections["id_verifications"]);
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importer.ApplicationId));
        var sourceAfter = await grains.GetGrain<ISessionGrain>(source.SessionId).Get(sourceApp.ApplicationId);
        var recorded = Assert.Single(sourceAfter!.Activity, a => a.Action == ActivityActions.ImportedByPartner);
        Assert.Equal(cloneId.ToString(), recorded.Details!["partner_session_id"]);

        // A later token for the same source and partner is refused, naming the existing clone.
        var later = await grains.GetGrain<IShareTokenGrain>(ShareTokenKey.FromJti(Guid.NewGuid().ToString()))
            .Redeem(RequestFor(importer, sourceApp, source));
        Assert.Equal(RedeemStatus.AlreadyImported, later.Status);
        Assert.Equal(cloneId, later.ExistingSessionId);

        var again = await grains.GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importer, sourceApp, source));
        Assert.Equal(RedeemStatus.AlreadyImported, again.Status);
        Assert.Equal(cloneId, again.ExistingSessionId);
    }

    /// <summary>
    /// Each of a redemption's three writes records its part as it lands: nothing is pending for the sweep
    /// (which only looks at rows older than a second) once the import has answered.
    /// </summary>
    [Fact]
    public async Task ARedemptionThatCompletesLeavesNothingPending()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importer = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        await WaitUntilNoneIsPendingAsync();

        var result = await fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(ShareTokenKey.FromJti(Guid.NewGuid().ToString()))
            .Redeem(RequestFor(importer, sourceApp, source));

        Assert.Equal(RedeemStatus.Imported, result.Status);
        Assert.Equal(0, await fixture.CountPendingRedemptionsAsync());
    }

    [Fact]
    public async Task ARedemptionWhoseSourceWasDeletedBeforeItsCloneIsReleased()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importer = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        fixture.Interruptions.InterruptOnce(tokenKey, RedemptionStep.SourceSent);

        await Assert.ThrowsAnyAsync<Exception>(() => fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importer, sourceApp, source)));
        Assert.True(await fixture.GrainsOn(1).GetGrain<ISessionGrain>(source.SessionId).Delete(sourceApp.ApplicationId));

        await WaitUntilNoneIsPendingAsync();
        var stored = new GrainState<ShareTokenState>();
        await ClusterFixture.StorageOn(fixture.Silos[0]).ReadStateAsync(StateNames.ShareToken, GrainId.Create("share-token", tokenKey), stored);
        Assert.False(stored.RecordExists && stored.State!.Status == RedemptionStatus.Redeemed, "The token was spent without a session.");
        Assert.Equal(0, await fixture.CountIndexedSessionsAsync(importer.ApplicationId));
    }

    /// <summary>Waits until the sweep has settled every pending redemption (its rows are gone).</summary>
    private async Task WaitUntilNoneIsPendingAsync()
    {
        var started = DateTime.UtcNow;
        while (await fixture.CountPendingRedemptionsAsync() > 0)
        {
            Assert.True(DateTime.UtcNow - started < Deadline, $"Pending redemptions were not settled within {Deadline.TotalSeconds} s.");
            await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Reads the token's row through grain storage (activating nothing) until it has a row with <paramref name="status"/>.</summary>
    private async Task<ShareTokenState> WaitForStoredStatusAsync(string tokenKey, RedemptionStatus status)
    {
        var storage = ClusterFixture.StorageOn(fixture.Silos[0]);
        var started = DateTime.UtcNow;
        while (true)
        {
            var stored = new GrainState<ShareTokenState>();
            await storage.ReadStateAsync(StateNames.ShareToken, GrainId.Create("share-token", tokenKey), stored);
            if (stored.RecordExists && stored.State?.Status == status)
            {
                return stored.State;
            }

            Assert.True(DateTime.UtcNow - started < Deadline, $"The interrupted redemption of {tokenKey} was not finished within {Deadline.TotalSeconds} s.");
            await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        }
    }

    private static RedeemRequest RequestFor(SeededApplication importer, SeededApplication sourceApp, SessionView source) =>
        new(importer.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: null, WorkflowId: null, VendorData: "partner-user", Actor: "partner");
}

[Collection(RecoveryCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class InterruptedRedemptionTests(RecoveryClusterFixture fixture) : InterruptedRedemptionCases(fixture);
