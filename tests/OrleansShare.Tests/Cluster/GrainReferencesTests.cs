using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// References made once the types are resolved address the grain Orleans' own <c>GetGrain</c> addresses, through the
/// same interface, on every silo, and calls through them reach that grain's state.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class GrainReferencesTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AReferenceAddressesTheGrainGetGrainAddressesForEveryKindOfKey()
    {
        var application = await fixture.CreateApplicationAsync("references");
        var session = await fixture.CreateApprovedSessionAsync(application, vendorData: "user-ref");
        for (var silo = 0; silo < fixture.Silos.Count; silo++)
        {
            var grains = fixture.GrainsOn(silo);

            // Twice each: the first reference resolves the types, the second is made from the grain id.
            for (var round = 0; round < 2; round++)
            {
                var byGuid = grains.Reference<ISessionGrain>(session.SessionId);
                var byString = grains.Reference<IShareTokenGrain>("jti:" + round);
                var byInteger = grains.Reference<IApiKeyRevocationHubGrain>(round);

                AssertSameAddress(grains.GetGrain<ISessionGrain>(session.SessionId), byGuid);
                AssertSameAddress(grains.GetGrain<IShareTokenGrain>("jti:" + round), byString);
                AssertSameAddress(grains.GetGrain<IApiKeyRevocationHubGrain>(round), byInteger);
                Assert.Equal("user-ref", (await byGuid.Get(application.ApplicationId))?.VendorData);
            }
        }
    }

    private static void AssertSameAddress<TGrain>(TGrain expected, TGrain actual)
    {
        var (e, a) = ((GrainReference)(object)expected!, (GrainReference)(object)actual!);
        Assert.Equal(e.GrainId, a.GrainId);
        Assert.Equal(e.InterfaceType, a.InterfaceType);
        Assert.IsAssignableFrom<TGrain>(actual);
    }
}
