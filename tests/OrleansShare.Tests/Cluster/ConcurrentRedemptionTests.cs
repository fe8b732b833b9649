using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class ConcurrentRedemptionTests(ClusterFixture fixture)
{
    private const int Calls = 200;

    [Fact]
    public async Task ConcurrentRedemptionsFromEverySiloImportExactlyOnce()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importerApp = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp, vendorData: "user-42");
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        var cloneId = NameBasedGuid.ForImport(source.SessionId, importerApp.ApplicationId);
        var request = new RedeemRequest(
            importerApp.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: null, WorkflowId: null, VendorData: "partner-user-7", Actor: "partner");
        Assert.Equal(ClusterFixture.InitialSilos, fixture.Silos.Count);

        var results = await Task.WhenAll(Enumerable.Range(0, Calls)
            .Select(i => fixture.GrainsOn(i).GetGrain<IShareTokenGrain>(tokenKey).Redeem(request)));

        var imported = Assert.Single(results, r => r.Status == RedeemStatus.Imported);
        Assert.Equal(Calls - 1, results.Count(r => r.Status == RedeemStatus.AlreadyImported));
        Assert.Equal(cloneId, imported.Session!.SessionId);

        var grains = fixture.GrainsOn(2);
        var sourceAfter = await grains.GetGrain<ISessionGrain>(source.SessionId).Get(sourceApp.ApplicationId);
        var import = Assert.Single(ClusterFixture.ImportsOf(sourceAfter!));
        Assert.Equal(importerApp.ApplicationId, import.Key);
        Assert.Equal(cloneId, import.Value);
        Assert.Single(sourceAfter!.Activity, a => a.Action == ActivityActions.ImportedByPartner);

        var clone = await grains.GetGrain<ISessionGrain>(cloneId).Get(importerApp.ApplicationId);
        Assert.NotNull(clone);
        Assert.Equal(importerApp.ApplicationId, clone.ApplicationId);
        Assert.Equal(source.SessionId, clone.SharedFromSession);
        Assert.Equal(ClusterFixture.SeedSection, clone.Sections["id_verifications"]);
        Assert.Equal("partner-user-7", clone.VendorData);
        Assert.Equal(importerApp.WorkflowId, clone.WorkflowId);
        Assert.Null(await grains.GetGrain<ISessionGrain>(cloneId).Get(sourceApp.ApplicationId));

        Assert.Equal(RedemptionStatus.Redeemed, await grains.GetGrain<IShareTokenGrain>(tokenKey).GetStatus());
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(sourceApp.ApplicationId));
    }

    /// <summary>
    /// Different tokens of one source for one importer, redeemed at once from every silo: one imports, every other is
    /// refused naming that clone, and storage holds one clone and one source record.
    /// </summary>
    [Fact]
    public async Task ConcurrentTokensOfOneSourceForOneImporterMakeOneClone()
    {
        const int Tokens = 24;
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importerApp = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var cloneId = NameBasedGuid.ForImport(source.SessionId, importerApp.ApplicationId);
        var request = new RedeemRequest(
            importerApp.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: null, WorkflowId: null, VendorData: null, Actor: "partner");

        // The cluster is shared: StorageConcurrencyTests leave token rows without a redemption, whichever class runs first.
        var pendingBefore = await fixture.CountPendingRedemptionsAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, Tokens).Select(i => fixture.GrainsOn(i)
            .GetGrain<IShareTokenGrain>(ShareTokenKey.FromJti(Guid.NewGuid().ToString())).Redeem(request)));

        var imported = Assert.Single(results, r => r.Status == RedeemStatus.Imported);
        Assert.Equal(cloneId, imported.Session!.SessionId);
        Assert.All(results.Where(r => r != imported), r => Assert.Equal((RedeemStatus.AlreadyImported, cloneId), (r.Status, r.ExistingSessionId!.Value)));

        var sourceAfter = await fixture.GrainsOn(1).GetGrain<ISessionGrain>(source.SessionId).Get(sourceApp.ApplicationId);
        Assert.Equal(cloneId, Assert.Single(ClusterFixture.ImportsOf(sourceAfter!)).Value);
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
        Assert.Equal(pendingBefore, await fixture.CountPendingRedemptionsAsync());
    }
}
