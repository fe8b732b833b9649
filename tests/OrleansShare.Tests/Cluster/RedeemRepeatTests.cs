using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// A gateway repeats a redemption whose answer was lost with a silo (the same request, so the same call id). The
/// repeat gets the answer the first call earned; every other call of the importer is told "already imported as".
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class RedeemRepeatTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ARepeatOfTheRedeemingCallIsAnsweredWithItsCloneAndNoOtherCallIs()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importerApp = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp, vendorData: "user-7");
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        var first = new RedeemRequest(
            importerApp.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: null, WorkflowId: null, VendorData: null, Actor: "partner", CallId: Guid.NewGuid());
        var token = fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey);

        var imported = await token.Redeem(first);
        var repeated = await fixture.GrainsOn(1).GetGrain<IShareTokenGrain>(tokenKey).Redeem(first);
        var another = await token.Redeem(first with { CallId = Guid.NewGuid() });
        var withoutId = await token.Redeem(first with { CallId = null });

        Assert.Equal(RedeemStatus.Imported, imported.Status);
        Assert.Equal(RedeemStatus.Imported, repeated.Status);
        Assert.Equal(imported.Session!.SessionId, repeated.Session!.SessionId);
        Assert.Equal((RedeemStatus.AlreadyImported, imported.Session.SessionId), (another.Status, another.ExistingSessionId));
        Assert.Equal((RedeemStatus.AlreadyImported, imported.Session.SessionId), (withoutId.Status, withoutId.ExistingSessionId));
        Assert.Equal(1, await fixture.CountIndexedSessionsAsync(importerApp.ApplicationId));
    }
}
