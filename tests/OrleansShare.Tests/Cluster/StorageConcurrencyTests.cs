using Orleans.Storage;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// The guarantees single redemption rests on, checked on the storage provider itself: a write with a stale
/// ETag is refused, and two first writes of one grain (two activations during a failure) cannot both insert.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class StorageConcurrencyTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AWriteWithAStaleETagIsRefused()
    {
        var (key, grainId) = NewTokenGrain();
        var storage = ClusterFixture.StorageOn(fixture.Silos[0]);
        var created = new GrainState<ShareTokenState> { State = new ShareTokenState { Status = RedemptionStatus.Unredeemed } };
        await storage.WriteStateAsync(StateNames.ShareToken, grainId, created);
        var mine = new GrainState<ShareTokenState>();
        var theirs = new GrainState<ShareTokenState>();
        await storage.ReadStateAsync(StateNames.ShareToken, grainId, mine);
        await ClusterFixture.StorageOn(fixture.Silos[1]).ReadStateAsync(StateNames.ShareToken, grainId, theirs);
        var readETag = mine.ETag;

        theirs.State = theirs.State! with { Status = RedemptionStatus.Redeemed };
        await ClusterFixture.StorageOn(fixture.Silos[1]).WriteStateAsync(StateNames.ShareToken, grainId, theirs);
        mine.State = mine.State! with { Status = RedemptionStatus.Redeeming };
        var stale = storage.WriteStateAsync(StateNames.ShareToken, grainId, mine);

        Assert.True(mine.RecordExists);
        Assert.NotEqual(readETag, theirs.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => stale);
        var stored = new GrainState<ShareTokenState>();
        await storage.ReadStateAsync(StateNames.ShareToken, grainId, stored);
        Assert.Equal(RedemptionStatus.Redeemed, stored.State!.Status);
        Assert.Equal(theirs.ETag, stored.ETag);
        Assert.Equal(1, await fixture.CountStorageRowsAsync(key));
    }

    [Fact]
    public async Task TwoFirstWritesOfOneGrainLeaveOneRow()
    {
        var (key, grainId) = NewTokenGrain();
        var first = new GrainState<ShareTokenState> { State = new ShareTokenState { Status = RedemptionStatus.Redeeming } };
        var second = new GrainState<ShareTokenState> { State = new ShareTokenState { Status = RedemptionStatus.Redeemed } };

        await ClusterFixture.StorageOn(fixture.Silos[0]).WriteStateAsync(StateNames.ShareToken, grainId, first);
        var duplicate = ClusterFixture.StorageOn(fixture.Silos[2]).WriteStateAsync(StateNames.ShareToken, grainId, second);

        await Assert.ThrowsAsync<InconsistentStateException>(() => duplicate);
        Assert.Equal(1, await fixture.CountStorageRowsAsync(key));
        var stored = new GrainState<ShareTokenState>();
        await ClusterFixture.StorageOn(fixture.Silos[1]).ReadStateAsync(StateNames.ShareToken, grainId, stored);
        Assert.Equal(RedemptionStatus.Redeeming, stored.State!.Status);
        Assert.Equal(first.ETag, stored.ETag);
    }

    [Fact]
    public async Task ConcurrentFirstWritesOfOneGrainLetExactlyOneWin()
    {
        var (key, grainId) = NewTokenGrain();
        var writers = fixture.Silos.SelectMany(silo => Enumerable.Range(0, 4).Select(_ => ClusterFixture.StorageOn(silo))).ToList();

        var outcomes = await Task.WhenAll(writers.Select(async storage =>
        {
            try
            {
                await storage.WriteStateAsync(StateNames.ShareToken, grainId, new GrainState<ShareTokenState> { State = new ShareTokenState() });
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Single(outcomes, won => won);
        Assert.Equal(1, await fixture.CountStorageRowsAsync(key));
    }

    private static (string Key, GrainId GrainId) NewTokenGrain()
    {
        var key = ShareTokenKey.FromJti(Guid.NewGuid().ToString());
        return (key, GrainId.Create("share-token", key));
    }
}
