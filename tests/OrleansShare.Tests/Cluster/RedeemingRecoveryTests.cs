using System.Collections.Immutable;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// A crash between the source's <c>imported_by_partner</c> and the token's <c>redeemed</c> leaves the plan on the
/// source. These tests leave storage as a crashed redemption would have (through the grains, and for rows of earlier
/// versions, a <c>redeeming</c> token row written straight through grain storage) at each point the crash could have
/// happened, and check that the next call finishes exactly that plan.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class RedeemingRecoveryTests(ClusterFixture fixture)
{
    private const long PlannedSessionNumber = 4242;

    public enum CrashPoint
    {
        /// <summary>Only <c>redeeming</c> was written (a token row of an earlier version).</summary>
        AfterRedeeming,

        /// <summary>The source had recorded <c>imported_by_partner</c>.</summary>
        AfterSourceRecorded,

        /// <summary>The clone existed too; only <c>redeemed</c> was missing.</summary>
        AfterCloneCreated,
    }

    /// <param name="crashPoint">How far the crashed redemption got.</param>
    /// <param name="staleActivation">
    /// Whether the token grain was already active, having read <c>unredeemed</c>, when another activation of it
    /// (a duplicate during a silo failure) began the redemption and died: the stale activation must finish it.
    /// </param>
    [Theory]
    [InlineData(CrashPoint.AfterSourceRecorded, false)]
    [InlineData(CrashPoint.AfterCloneCreated, false)]
    [InlineData(CrashPoint.AfterSourceRecorded, true)]
    [InlineData(CrashPoint.AfterCloneCreated, true)]
    public async Task ATokenLeftRedeemingIsCompletedAsPlannedNotRedeemedAgain(CrashPoint crashPoint, bool staleActivation)
    {
        var (sourceApp, importerApp, _, source, tokenKey, plan) = await ArrangeAsync();
        if (staleActivation)
        {
            Assert.Equal(RedemptionStatus.Unredeemed, await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).GetStatus());
        }

        await LeaveRedeemingAsync(tokenKey, plan, source, crashPoint);
        var request = RequestFor(importerApp, sourceApp, source);

        var first = await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).Redeem(request);
        var second = await fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey).Redeem(request);

        Assert.Equal(RedeemStatus.Imported, first.Status);
        Assert.Equal(RedeemStatus.AlreadyImported, second.Status);
        Assert.Equal(plan.NewSessionId, second.ExistingSessionId);
        Assert.Equal(plan.NewSessionId, first.Session!.SessionId);
        Assert.Equal(PlannedSessionNumber, first.Session.SessionNumber);
        await AssertPlanCompletedOnceAsync(sourceApp, importerApp, source, tokenKey, plan);
    }

    /// <summary>
    /// The clone and the token's <c>redeemed</c> are written together; a crash can keep the token's and lose the
    /// clone's. The next call (from a stale activation or a fresh one) makes the clone from the plan and names it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ATokenRedeemedWhoseCloneWasLostGetsItsCloneOnTheNextCall(bool staleActivation)
    {
        var (sourceApp, importerApp, _, source, tokenKey, plan) = await ArrangeAsync();
        if (staleActivation)
        {
            Assert.Equal(RedemptionStatus.Unredeemed, await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).GetStatus());
        }

        await RecordAtSourceAsync(fixture.GrainsOn(0), plan);
        var stored = new GrainState<ShareTokenState> { State = new ShareTokenState { Status = RedemptionStatus.Redeemed, Plan = plan } };
        await ClusterFixture.StorageOn(fixture.Silos[1]).WriteStateAsync(StateNames.ShareToken, GrainId.Create("share-token", tokenKey), stored);

        var first = await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importerApp, sourceApp, source));

        Assert.Equal(RedeemStatus.AlreadyImported, first.Status);
        Assert.Equal(plan.NewSessionId, first.ExistingSessionId);
        await AssertPlanCompletedOnceAsync(sourceApp, importerApp, source, tokenKey, plan);
    }

    /// <summary>
    /// A token row of an earlier version, left <c>redeeming</c> by a crash before its source recorded anything, is
    /// finished by the next call of its importer: that call's redemption of the same clone replaces it.
    /// </summary>
    [Fact]
    public async Task ATokenRowLeftRedeemingByAnEarlierVersionIsFinishedByTheNextCall()
    {
        var (sourceApp, importerApp, _, source, tokenKey, plan) = await ArrangeAsync();
        await LeaveRedeemingAsync(tokenKey, plan, source, CrashPoint.AfterRedeeming);

        var first = await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importerApp, sourceApp, source));
        var second = await fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importerApp, sourceApp, source));

        Assert.Equal(RedeemStatus.Imported, first.Status);
        Assert.Equal(plan.NewSessionId, first.Session!.SessionId);
        Assert.Equal(RedeemStatus.AlreadyImported, second.Status);
        Assert.Equal(plan.NewSessionId, second.ExistingSessionId);
        Assert.Equal(RedemptionStatus.Redeemed, await fixture.GrainsOn(1).GetGrain<IShareTokenGrain>(tokenKey).GetStatus());
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
    }

    [Fact]
    public async Task AClonedRedemptionIsKeptWhenTheSourceIsDeletedBeforeItCompletes()
    {
        var (sourceApp, importerApp, _, source, tokenKey, plan) = await ArrangeAsync();
        await LeaveRedeemingAsync(tokenKey, plan, source, CrashPoint.AfterCloneCreated);
        Assert.True(await fixture.GrainsOn(0).GetGrain<ISessionGrain>(source.SessionId).Delete(sourceApp.ApplicationId));

        var result = await fixture.GrainsOn(2).GetGrain<IShareTokenGrain>(tokenKey).Redeem(RequestFor(importerApp, sourceApp, source));

        Assert.Equal(RedeemStatus.Imported, result.Status);
        Assert.Equal(plan.NewSessionId, result.Session!.SessionId);
        Assert.Equal(RedemptionStatus.Redeemed, await fixture.GrainsOn(1).GetGrain<IShareTokenGrain>(tokenKey).GetStatus());
        Assert.NotNull(await fixture.GrainsOn(1).GetGrain<ISessionGrain>(plan.NewSessionId).Get(importerApp.ApplicationId));
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
    }

    private async Task<(SeededApplication Source, SeededApplication Importer, SeededApplication Other, SessionView Session, string TokenKey, ImportPlan Plan)> ArrangeAsync()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importerApp = await fixture.CreateApplicationAsync("importer");
        var otherApp = await fixture.CreateApplicationAsync("other");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        var plan = new ImportPlan
        {
            TokenKey = tokenKey,
            TokenId = ShareTokenKey.ToTokenId(tokenKey),
            ImporterApplicationId = importerApp.ApplicationId,
            SourceApplicationId = sourceApp.ApplicationId,
            SourceSessionId = source.SessionId,
            Kind = SessionKind.User,
            NewSessionId = NameBasedGuid.ForImport(source.SessionId, importerApp.ApplicationId),
            SessionNumber = PlannedSessionNumber,
            WorkflowId = importerApp.WorkflowId,
            Features = importerApp.Features,
            TrustReview = false,
            VendorData = null,
            Actor = "partner",
            StartedAt = TimeProvider.System.UtcNowMilliseconds(),
        };
        return (sourceApp, importerApp, otherApp, source, tokenKey, plan);
    }

    /// <summary>Replays the steps done before the crash; <c>redeeming</c> only at the crash point of earlier versions.</summary>
    private async Task LeaveRedeemingAsync(string tokenKey, ImportPlan plan, SessionView source, CrashPoint crashPoint)
    {
        if (crashPoint == CrashPoint.AfterRedeeming)
        {
            var storage = ClusterFixture.StorageOn(fixture.Silos[1]);
            var stored = new GrainState<ShareTokenState> { State = new ShareTokenState { Status = RedemptionStatus.Redeeming, Plan = plan with { TokenKey = "" } } };
            await storage.WriteStateAsync(StateNames.ShareToken, GrainId.Create("share-token", tokenKey), stored);
            return;
        }

        var grains = fixture.GrainsOn(0);
        var sourceView = await RecordAtSourceAsync(grains, plan);
        if (crashPoint >= CrashPoint.AfterCloneCreated)
        {
            var clone = await grains.GetGrain<ISessionGrain>(plan.NewSessionId).InitializeAsImport(new ImportSeed(sourceView, plan));
            Assert.Equal(CloneStatus.Made, clone.Status);
        }
    }

    /// <summary>The source's part of the redemption: asked, then its <c>imported_by_partner</c> recorded.</summary>
    private static async Task<SessionView> RecordAtSourceAsync(IGrainFactory grains, ImportPlan plan)
    {
        var source = grains.GetGrain<ISessionGrain>(plan.SourceSessionId);
        var export = await source.BeginExport(new ExportRequest(plan.SourceApplicationId, plan.Kind, plan.ImporterApplicationId, plan.TokenKey));
        Assert.Equal(ExportStatus.Ready, export.Status);
        await source.RecordExport(plan);
        return export.Source!;
    }

    private async Task AssertPlanCompletedOnceAsync(
        SeededApplication sourceApp, SeededApplication importerApp, SessionView source, string tokenKey, ImportPlan plan)
    {
        var grains = fixture.GrainsOn(1);
        Assert.Equal(RedemptionStatus.Redeemed, await grains.GetGrain<IShareTokenGrain>(tokenKey).GetStatus());

        var sourceAfter = await grains.GetGrain<ISessionGrain>(source.SessionId).Get(sourceApp.ApplicationId);
        Assert.Equal(ImmutableDictionary<Guid, Guid>.Empty.Add(importerApp.ApplicationId, plan.NewSessionId), ClusterFixture.ImportsOf(sourceAfter!));
        Assert.Single(sourceAfter!.Activity, a => a.Action == ActivityActions.ImportedByPartner);

        var clone = await grains.GetGrain<ISessionGrain>(plan.NewSessionId).Get(importerApp.ApplicationId);
        Assert.NotNull(clone);
        Assert.Equal(PlannedSessionNumber, clone.SessionNumber);
        Assert.Equal(source.SessionId, clone.SharedFromSession);
        Assert.Equal(ClusterFixture.SeedSection, clone.Sections["id_verifications"]);
        Assert.Single(clone.Activity, a => a.Action == ActivityActions.Imported);
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
    }

    private static RedeemRequest RequestFor(SeededApplication importer, SeededApplication sourceApp, SessionView source) =>
        new(importer.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: null, WorkflowId: null, VendorData: null, Actor: "partner");
}
