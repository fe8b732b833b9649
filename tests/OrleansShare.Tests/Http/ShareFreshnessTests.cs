using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Share governance with time moving: a token's ledger state becomes <c>expired</c>, and freshness on import (API.md) lands a
/// clone In Review whatever <c>trust_review</c> says when the source's decision is older than the importer allows or an ID
/// document has expired. Each test has its own gateway, whose clock it moves.
/// </summary>
public sealed class ShareFreshnessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnUnusedTokenPastItsExpiryIsListedAsExpired()
    {
        var clock = new ShiftedClock();
        await using var app = GatewayApp.WithClock(clock);
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId, ttlInSeconds: 60);

        clock.Advance(TimeSpan.FromSeconds(61));

        var shares = await (await source.Client.GetAsync($"/v3/session/{sessionId}/shares/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal("expired", Assert.Single(shares)!.Str("state"));
        var entry = Assert.Single((await (await source.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK))["results"]!.AsArray())!;
        Assert.Equal("expired", entry.Str("state"));
        await (await app.TryImportAsync(partner, token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ADecisionOlderThanTheImportersLimitLandsInReviewWhateverTrustReviewSays()
    {
        var clock = new ShiftedClock();
        await using var app = GatewayApp.WithClock(clock);
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var strict = await (await partner.Client.PutAsync("/v3/sharing-policy/", Body.Json("""{"max_verification_age_days": 30}"""), Ct))
            .AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(30, strict.Number("max_verification_age_days"));
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        clock.Advance(TimeSpan.FromDays(31));
        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), trustReview: true);

        Assert.Equal("In Review", clone.Str("status"));
        var imported = (await app.GetReviewsAsync(partner, clone.Id("session_id"))).Single(e => e!.Str("action") == "imported")!;
        Assert.Equal("verification_too_old", imported["details"]!.Str("freshness"));
        Assert.Equal("false", imported["details"]!.Str("trust_review"));
    }

    [Fact]
    public async Task ADecisionWithinTheImportersLimitKeepsItsStatus()
    {
        var clock = new ShiftedClock();
        await using var app = GatewayApp.WithClock(clock);
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        (await partner.Client.PutAsync("/v3/sharing-policy/", Body.Json("""{"max_verification_age_days": 30}"""), Ct)).EnsureSuccessStatusCode();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        clock.Advance(TimeSpan.FromDays(29));
        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), trustReview: true);

        Assert.Equal("Approved", clone.Str("status"));
        var imported = (await app.GetReviewsAsync(partner, clone.Id("session_id"))).Single(e => e!.Str("action") == "imported")!;
        Assert.False(imported["details"]!.AsObject().ContainsKey("freshness"));
    }

    [Fact]
    public async Task AnExpiredIdDocumentLandsInReviewWithoutAnyPolicy()
    {
        await using var app = new GatewayApp();
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var decision = """
            {"status": "Approved", "id_verifications": [{"status": "Approved", "document_type": "Passport", "expiration_date": "2020-06-30"}]}
            """;
        var sessionId = await app.CreateVerifiedSessionAsync(source, decisionJson: decision);

        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), trustReview: true);

        Assert.Equal("In Review", clone.Str("status"));
        var imported = (await app.GetReviewsAsync(partner, clone.Id("session_id"))).Single(e => e!.Str("action") == "imported")!;
        Assert.Equal("document_expired", imported["details"]!.Str("freshness"));
    }

    [Fact]
    public async Task AValidIdDocumentKeepsTheTrustedStatus()
    {
        await using var app = new GatewayApp();
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var decision = """
            {"status": "Approved", "id_verifications": [{"status": "Approved", "document_type": "Passport", "expiration_date": "2099-06-30"}]}
            """;
        var sessionId = await app.CreateVerifiedSessionAsync(source, decisionJson: decision);

        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), trustReview: true);

        Assert.Equal("Approved", clone.Str("status"));
    }

    /// <summary>Retention: entries of tokens minted longer ago than Retention__LedgerDays are purged by the silo's job.</summary>
    [Fact]
    public async Task LedgerEntriesOlderThanTheRetentionArePurged()
    {
        var clock = new ShiftedClock();
        await using var app = GatewayApp.WithClock(clock);
        app.Configure(new Dictionary<string, string> { ["Retention:LedgerDays"] = "10", ["Retention:PurgeInterval"] = "00:00:00.200" });
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var old = await app.CreateVerifiedSessionAsync(source);
        await app.ShareAsync(source, old, partner.ApplicationId);
        clock.Advance(TimeSpan.FromDays(11));
        var recent = await app.CreateVerifiedSessionAsync(source);
        var kept = await (await app.TryShareAsync(source, recent, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() }))
            .AssertJsonAsync(HttpStatusCode.Created);

        // The purge runs every 200 ms: wait (30 s at most) until it has run since the clock moved.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        JsonArray entries;
        while (true)
        {
            entries = (await (await source.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK))["results"]!.AsArray();
            if (entries.Count <= 1 || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }

        Assert.Equal(kept.Str("token_id"), Assert.Single(entries)!.Str("token_id"));
    }
}
