using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Storage;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// The share ledger as storage keeps it: the session writes that mint, redeem and revoke tokens carry their change, and
/// the storage triggers (SQLite migration 006, PostgreSQL 008) apply it in the same transaction; the ledger query reads it.
/// </summary>
/// <remarks>The cases run on SQLite here and on PostgreSQL in <c>Postgres.ShareLedgerOnPostgresTests</c>.</remarks>
public abstract class ShareLedgerCases(RecoveryClusterFixture fixture)
{
    private static readonly DateTimeOffset ConsentedAt = new(2026, 1, 15, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task SharesRedemptionsAndRevocationsReachTheLedgerOfBothParties()
    {
        var ct = TestContext.Current.CancellationToken;
        var sourceApp = await fixture.CreateApplicationAsync("source");
        var importer = await fixture.CreateApplicationAsync("importer");
        var source = await fixture.CreateApprovedSessionAsync(sourceApp);
        var grains = fixture.GrainsOn(0);
        var session = grains.GetGrain<ISessionGrain>(source.SessionId);
        var redeemed = await session.Share(new ShareCommand(
            sourceApp.ApplicationId, BodyValid: true, importer.ApplicationId, 3600, Guid.NewGuid(), "test", TtlValid: true,
            "lending", [Sections.IdVerifications], new ShareConsent(ConsentedAt, "in_app_checkbox", "ref-1")));
        var revoked = await session.Share(new ShareCommand(sourceApp.ApplicationId, BodyValid: true, importer.ApplicationId, 600, Guid.NewGuid(), "test"));
        Assert.Equal(ShareStatus.Recorded, redeemed.Status);
        Assert.Equal(ShareStatus.Recorded, revoked.Status);

        var import = await grains.GetGrain<IShareTokenGrain>(ShareTokenKey.FromJti(redeemed.TokenId!)).Redeem(new RedeemRequest(
            importer.ApplicationId, sourceApp.ApplicationId, source.SessionId, SessionKind.User, TrustReview: null, WorkflowId: null,
            VendorData: null, "test", Guid.NewGuid(), "lending", [Sections.IdVerifications], redeemed.ExpiresAt));
        Assert.Equal(RedeemStatus.Imported, import.Status);
        Assert.Equal(RevokeShareStatus.Revoked, await session.RevokeShare(sourceApp.ApplicationId, revoked.TokenId!));

        var ledger = new ShareLedgerQuery(fixture.Database);
        var outgoing = await ledger.ListAsync(Filter(sourceApp.ApplicationId), ct);
        var incoming = await ledger.ListAsync(Filter(importer.ApplicationId), ct);
        var forSession = await ledger.ListForSessionAsync(sourceApp.ApplicationId, source.SessionId, 10, 0, ct);

        Assert.Equal(2, outgoing.Count);
        Assert.Equal([revoked.TokenId, redeemed.TokenId], outgoing.Results.Select(r => r.TokenId));
        Assert.All(outgoing.Results, r => Assert.Equal("outgoing", r.Direction));
        var minted = outgoing.Results[1];
        Assert.Equal((source.SessionId, importer.ApplicationId, "user"), (minted.SessionId, minted.PartnerApplicationId, minted.SessionKind));
        Assert.Equal(("lending", "id_verifications"), (minted.Purpose, minted.Scope));
        Assert.Equal((ConsentedAt, "in_app_checkbox", "ref-1"), (minted.ConsentObtainedAt!.Value, minted.ConsentMethod, minted.ConsentReference));
        Assert.Equal(redeemed.ExpiresAt, minted.ExpiresAt);
        Assert.NotNull(minted.RedeemedAt);
        Assert.Null(minted.RevokedAt);
        Assert.Null(minted.ImportedSessionId);
        Assert.NotNull(outgoing.Results[0].RevokedAt);
        Assert.Null(outgoing.Results[0].RedeemedAt);

        var received = Assert.Single(incoming.Results);
        Assert.Equal(("incoming", redeemed.TokenId, sourceApp.ApplicationId), (received.Direction, received.TokenId, received.PartnerApplicationId));
        Assert.Equal(import.Session!.SessionId, received.ImportedSessionId);
        Assert.Equal(minted.RedeemedAt, received.RedeemedAt);
        Assert.Equal([revoked.TokenId, redeemed.TokenId], forSession!.Results.Select(r => r.TokenId));

        // A session that is gone keeps its ledger, and lists no shares of its own.
        Assert.True(await session.Delete(sourceApp.ApplicationId));
        Assert.Equal(2, (await ledger.ListAsync(Filter(sourceApp.ApplicationId), ct)).Count);
        Assert.Null(await ledger.ListForSessionAsync(sourceApp.ApplicationId, source.SessionId, 10, 0, ct));
    }

    private static LedgerListFilter Filter(Guid applicationId) =>
        new(applicationId, LedgerDirection.Both, PartnerApplicationId: null, Purpose: null, DateFrom: null, DateTo: null, Limit: 50, Offset: 0);
}

[Collection(RecoveryCollection.Name)]
[Trait("Layer", "Cluster")]
public sealed class ShareLedgerStorageTests(RecoveryClusterFixture fixture) : ShareLedgerCases(fixture);
