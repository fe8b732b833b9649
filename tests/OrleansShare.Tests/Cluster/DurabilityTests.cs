using Orleans.TestingHost;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>An acknowledged import is in storage: new activations, on any silo, read it back.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class DurabilityTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ARedemptionSurvivesTheDeactivationOfItsGrains()
    {
        var (importer, source, tokenKey, cloneId, request) = await ArrangeAsync();
        var token = fixture.GrainsOn(0).GetGrain<IShareTokenGrain>(tokenKey);
        var redeemed = await token.Redeem(request);
        Assert.Equal(RedeemStatus.Imported, redeemed.Status);

        var clone = fixture.GrainsOn(0).GetGrain<ISessionGrain>(cloneId);
        var sourceGrain = fixture.GrainsOn(0).GetGrain<ISessionGrain>(source.SessionId);

        await fixture.Cluster.DeactivateAsync(token);
        await fixture.Cluster.DeactivateAsync(clone);
        await fixture.Cluster.DeactivateAsync(sourceGrain);

        Assert.False(IsActive(token));
        Assert.False(IsActive(clone));
        Assert.False(IsActive(sourceGrain));
        await AssertRedeemedAsync(fixture.GrainsOn(1), importer, source, tokenKey, cloneId, request);
    }

    [Fact]
    public async Task ARedemptionSurvivesTheShutdownOfTheSiloThatHostedIt()
    {
        var (importer, source, tokenKey, cloneId, request) = await ArrangeAsync();
        var victim = fixture.Silos[^1];
        var token = ClusterFixture.GrainsOn(fixture.Silos[0]).GetGrain<IShareTokenGrain>(tokenKey);
        var clone = ClusterFixture.GrainsOn(fixture.Silos[0]).GetGrain<ISessionGrain>(cloneId);
        Assert.Equal(RedeemStatus.Imported, (await token.Redeem(request)).Status);
        await PlaceOnAsync(token, victim);
        await PlaceOnAsync(clone, victim);
        Assert.Equal(RedemptionStatus.Redeemed, await token.GetStatus());
        Assert.NotNull(await clone.Get(importer.ApplicationId));
        Assert.Equal(victim.SiloAddress, HostOf(token));
        Assert.Equal(victim.SiloAddress, HostOf(clone));

        await fixture.Cluster.StopSiloAsync(victim, TestContext.Current.CancellationToken);
        await fixture.Cluster.StartAdditionalSiloAsync();
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();

        Assert.Equal(ClusterFixture.InitialSilos, fixture.Silos.Count);
        Assert.DoesNotContain(fixture.Silos, s => s.SiloAddress.Equals(victim.SiloAddress));
        await AssertRedeemedAsync(ClusterFixture.GrainsOn(fixture.Silos[^1]), importer, source, tokenKey, cloneId, request);
    }

    private async Task<(SeededApplication Importer, SessionView Source, string TokenKey, Guid CloneId, RedeemRequest Request)> ArrangeAsync()
    {
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importer = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var tokenKey = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        var request = new RedeemRequest(importer.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User,
            TrustReview: true, WorkflowId: null, VendorData: null, Actor: "partner");
        return (importer, source, tokenKey, NameBasedGuid.ForImport(source.SessionId, importer.ApplicationId), request);
    }

    private static async Task AssertRedeemedAsync(
        IGrainFactory grains, SeededApplication importer, SessionView source, string tokenKey, Guid cloneId, RedeemRequest request)
    {
        var token = grains.GetGrain<IShareTokenGrain>(tokenKey);
        Assert.Equal(RedemptionStatus.Redeemed, await token.GetStatus());
        Assert.Equal(RedeemStatus.AlreadyImported, (await token.Redeem(request)).Status);

        var clone = await grains.GetGrain<ISessionGrain>(cloneId).Get(importer.ApplicationId);
        Assert.NotNull(clone);
        Assert.Equal(source.SessionId, clone.SharedFromSession);
        Assert.Equal("Approved", clone.Status);
        Assert.Equal(ClusterFixture.SeedSection, clone.Sections["id_verifications"]);

        var sourceAfter = await grains.GetGrain<ISessionGrain>(source.SessionId).Get(source.ApplicationId);
        Assert.Equal(cloneId, Assert.Single(ClusterFixture.ImportsOf(sourceAfter!)).Value);
    }

    private bool IsActive(IAddressable grain) => fixture.Cluster.TryGetGrainContext(grain.GetGrainId(), out _);

    private SiloAddress? HostOf(IAddressable grain) =>
        fixture.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context) ? context.Address.SiloAddress : null;

    /// <summary>Moves the grain's activation to <paramref name="silo"/> unless it is already there.</summary>
    private async Task PlaceOnAsync(IAddressable grain, InProcessSiloHandle silo)
    {
        if (!silo.SiloAddress.Equals(HostOf(grain)))
        {
            await fixture.Cluster.MigrateAsync(grain, silo.SiloAddress);
        }
    }
}
