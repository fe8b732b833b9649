using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>End-to-end sharing: KYC and KYB, status spelling, trust, legacy tokens, several partners, audit trail, entities.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SharingFlowTests(GatewayApp app)
{
    private static readonly string[] UserStatuses =
        ["Not Started", "In Progress", "Approved", "Declined", "In Review", "Expired", "Abandoned", "Kyc Expired", "Resubmitted", "Awaiting User"];

    private static readonly string[] BusinessStatuses =
        ["NOT_STARTED", "IN_PROGRESS", "APPROVED", "DECLINED", "IN_REVIEW", "EXPIRED", "ABANDONED", "KYC_EXPIRED", "RESUBMITTED", "AWAITING_USER"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(SessionKind.User, false, "In Review")]
    [InlineData(SessionKind.User, true, "Approved")]
    [InlineData(SessionKind.Business, false, "IN_REVIEW")]
    [InlineData(SessionKind.Business, true, "APPROVED")]
    public async Task ImportedStatusFollowsTrustReviewInTheKindsSpelling(SessionKind kind, bool trustReview, string expected)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, kind);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var imported = await app.ImportAsync(partner, token, partner.WorkflowFor(kind), trustReview, "partner-entity-1");

        Assert.Equal(kind == SessionKind.Business ? "business" : "user", imported.Str("session_kind"));
        Assert.Equal(expected, imported.Str("status"));
        Assert.Equal(kind == SessionKind.Business ? "APPROVED" : "Approved", (await app.GetDecisionAsync(source, sessionId)).Str("status"));
        await AssertStatusesSpelledForAsync(kind, partner, imported.Id("session_id"));
        await AssertStatusesSpelledForAsync(kind, source, sessionId);
    }

    [Theory]
    [InlineData(SessionKind.User, "Declined")]
    [InlineData(SessionKind.User, "In Review")]
    [InlineData(SessionKind.Business, "DECLINED")]
    [InlineData(SessionKind.Business, "IN_REVIEW")]
    public async Task TrustedImportKeepsEveryFinishedSourceStatus(SessionKind kind, string status)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, kind, Decisions.Verified(kind, status));
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var imported = await app.ImportAsync(partner, token, partner.WorkflowFor(kind), trustReview: true);

        Assert.Equal(status, imported.Str("status"));
    }

    [Fact]
    public async Task TrustPolicyAppliesWhenTrustReviewIsAbsent()
    {
        var source = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();

        var put = await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}/", Body.Json("{\"trust_review\": true}"), Ct);

        var policy = await put.AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(source.ApplicationId, policy.Id("source_application_id"));
        Assert.True(policy["trust_review"]!.GetValue<bool>());
        Assert.Equal("Approved", (await ShareAndImportAsync(source, partner, trustReview: null)).Str("status"));
        Assert.Equal("In Review", (await ShareAndImportAsync(source, partner, trustReview: false)).Str("status"));
        Assert.Equal("In Review", (await ShareAndImportAsync(other, partner, trustReview: null)).Str("status"));
        var listed = await (await partner.Client.GetAsync("/v3/trust-policies/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        var entry = Assert.Single(listed);
        Assert.Equal(source.ApplicationId, entry!.Id("source_application_id"));
        entry!.Timestamp("updated_at");
    }

    /// <summary>Issue 12, item 8: an importer holds at most 1,000 trust policies; changing one it has still works.</summary>
    [Fact]
    public async Task AnApplicationHasAtMost1000TrustPoliciesAndTheNextIs409()
    {
        var partner = await app.CreateBareApplicationAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var sources = Enumerable.Range(0, TrustPolicyInfo.MaxPerApplication + 1).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(sources.Select(id => grains.GetGrain<IApplicationGrain>(id).Create(new CreateApplicationCommand(
            "source", OrganizationId: null, Guid.NewGuid(), ApiKeyHash.GrainKey("sk_test_" + Guid.NewGuid().ToString("N")), [.. Privileges.All]))));
        foreach (var source in sources.Take(TrustPolicyInfo.MaxPerApplication))
        {
            var put = await partner.Client.PutAsync($"/v3/trust-policies/{source}/", Body.Json("{\"trust_review\": true}"), Ct);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var refused = await partner.Client.PutAsync($"/v3/trust-policies/{sources[^1]}/", Body.Json("{\"trust_review\": true}"), Ct);

        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("1000", problem.Str("detail"));
        var changed = await partner.Client.PutAsync($"/v3/trust-policies/{sources[0]}/", Body.Json("{\"trust_review\": false}"), Ct);
        Assert.False((await changed.AssertJsonAsync(HttpStatusCode.OK))["trust_review"]!.GetValue<bool>());
        var listed = await (await partner.Client.GetAsync("/v3/trust-policies/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(TrustPolicyInfo.MaxPerApplication, listed.Count);
        Assert.DoesNotContain(listed, p => p!.Id("source_application_id") == sources[^1]);
    }

    [Fact]
    public async Task TrustPolicyForAnUnknownApplicationIs404()
    {
        var partner = await app.CreateApplicationAsync();

        var response = await partner.Client.PutAsync($"/v3/trust-policies/{Guid.NewGuid()}/", Body.Json("{\"trust_review\": true}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await partner.Client.GetAsync("/v3/trust-policies/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task TrustPolicyCanBeTurnedOffAgain()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        await (await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}/", Body.Json("{\"trust_review\": true}"), Ct))
            .AssertJsonAsync(HttpStatusCode.OK);

        await (await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}/", Body.Json("{\"trust_review\": false}"), Ct))
            .AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal("In Review", (await ShareAndImportAsync(source, partner, trustReview: null)).Str("status"));
        Assert.Equal("Approved", (await ShareAndImportAsync(source, partner, trustReview: true)).Str("status"));
        Assert.Single(await (await partner.Client.GetAsync("/v3/trust-policies/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"trust_review\": \"yes\"}")]
    [InlineData("{\"trust_review\": null}")]
    public async Task TrustPolicyNeedsABoolean(string body)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();

        var response = await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync("trust_review");
        Assert.Empty(await (await partner.Client.GetAsync("/v3/trust-policies/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task LegacyTokensWithoutSessionKindOrJtiImportAsUserSessions(bool withKind, bool withJti)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = TestTokens.Sign(TestTokens.Claims(
            sessionId, withKind ? "user" : null, source.ApplicationId, partner.ApplicationId, jti: withJti ? Guid.NewGuid().ToString() : null));

        var imported = await app.ImportAsync(partner, token, partner.KycWorkflowId);

        Assert.Equal("user", imported.Str("session_kind"));
        Assert.Equal(sessionId, imported.Id("shared_from_session"));
        Assert.Equal("In Review", imported.Str("status"));
    }

    [Fact]
    public async Task TokenWithoutJtiWorksOnceThenIs403()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = TestTokens.Sign(TestTokens.Claims(sessionId, "user", source.ApplicationId, partner.ApplicationId));

        var imported = await app.ImportAsync(partner, token, partner.KycWorkflowId);
        var again = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await again.AssertProblemAsync(HttpStatusCode.Forbidden);
        var importedEntry = (await app.GetReviewsAsync(partner, imported.Id("session_id"))).Last()!;
        Assert.StartsWith("sha256:", importedEntry["details"]!.Str("token_id"), StringComparison.Ordinal);
        Assert.Equal(1, await app.CountSessionsAsync(partner));
    }

    [Fact]
    public async Task OneSessionSharedWithTwoPartnersIsImportedByBoth()
    {
        var source = await app.CreateApplicationAsync();
        var first = await app.CreateApplicationAsync();
        var second = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var firstToken = await app.ShareAsync(source, sessionId, first.ApplicationId);
        var secondToken = await app.ShareAsync(source, sessionId, second.ApplicationId);

        var firstClone = await app.ImportAsync(first, firstToken, first.KycWorkflowId);
        var secondClone = await app.ImportAsync(second, secondToken, second.KycWorkflowId);

        Assert.NotEqual(firstClone.Id("session_id"), secondClone.Id("session_id"));
        Assert.Equal(sessionId, firstClone.Id("shared_from_session"));
        Assert.Equal(sessionId, secondClone.Id("shared_from_session"));
        var exports = (await app.GetReviewsAsync(source, sessionId)).Where(e => e!.Str("action") == "imported_by_partner").ToList();
        Assert.Equal(2, exports.Count);
        Assert.Equal(first.ApplicationId, exports[0]!["details"]!.Id("partner_application_id"));
        Assert.Equal(firstClone.Id("session_id"), exports[0]!["details"]!.Id("partner_session_id"));
        Assert.Equal(second.ApplicationId, exports[1]!["details"]!.Id("partner_application_id"));
        Assert.Equal(secondClone.Id("session_id"), exports[1]!["details"]!.Id("partner_session_id"));
        await (await app.TryImportAsync(second, firstToken, second.KycWorkflowId)).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ReviewsRecordTheShareOnTheSourceAndTheImportOnTheClone()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var jti = TestTokens.Payload(token).Str("jti");
        var sourceBefore = await app.GetReviewsAsync(source, sessionId);

        var clone = await app.ImportAsync(partner, token, partner.KycWorkflowId, trustReview: false);

        var cloneId = clone.Id("session_id");
        var sourceAfter = await app.GetReviewsAsync(source, sessionId);
        Assert.Equal(["created", "decision_recorded", "shared", "imported_by_partner"], sourceAfter.Select(e => e!.Str("action")));
        Assert.True(JsonNode.DeepEquals(sourceBefore, new JsonArray([.. sourceAfter.Take(3).Select(e => e!.DeepClone())])));
        var export = sourceAfter[3]!;
        Assert.Equal(partner.ApplicationId, export["details"]!.Id("partner_application_id"));
        Assert.Equal(cloneId, export["details"]!.Id("partner_session_id"));
        Assert.Equal(jti, export["details"]!.Str("token_id"));
        export.Timestamp("created_at");

        // The clone keeps the source's review history, not its sharing audit (which names the source's other partners).
        var cloneReviews = await app.GetReviewsAsync(partner, cloneId);
        Assert.Equal(["created", "decision_recorded", "imported"], cloneReviews.Select(e => e!.Str("action")));
        for (var i = 0; i < 2; i++)
        {
            Assert.True(JsonNode.DeepEquals(sourceBefore[i], cloneReviews[i]), $"Entry {i}: {sourceBefore[i]!.ToJsonString()} != {cloneReviews[i]!.ToJsonString()}");
        }

        var imported = cloneReviews[2]!;
        Assert.Equal("In Review", imported.Str("new_status"));
        Assert.Equal($"api_key:{partner.ApiKeyId}", imported.Str("user"));
        Assert.Equal(source.ApplicationId, imported["details"]!.Id("source_application_id"));
        Assert.Equal(sessionId, imported["details"]!.Id("source_session_id"));
        Assert.Equal(jti, imported["details"]!.Str("token_id"));

        var documentReviews = clone["reviews"]!.AsArray();
        Assert.Equal("In Review", documentReviews.Last()!.Str("new_status"));
        Assert.Contains(documentReviews, r => r!.NullableStr("new_status") == "Approved");
    }

    [Theory]
    [InlineData(SessionKind.User, "/v3/users/", "/v3/businesses/")]
    [InlineData(SessionKind.Business, "/v3/businesses/", "/v3/users/")]
    public async Task ImportCreatesTheEntityForVendorData(SessionKind kind, string entities, string otherEntities)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, kind);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var vendor = $"partner-{Guid.NewGuid():N}";
        await (await partner.Client.GetAsync($"{entities}{vendor}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);

        var clone = await app.ImportAsync(partner, token, partner.WorkflowFor(kind), vendorData: vendor);

        var entity = await (await partner.Client.GetAsync($"{entities}{vendor}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(vendor, entity.Str("vendor_data"));
        Assert.Equal("ACTIVE", entity.Str("status"));
        Assert.Equal([clone.Id("session_id")], entity["session_ids"]!.AsArray().Select(id => Guid.Parse(id!.GetValue<string>())));
        entity.Timestamp("created_at");
        await (await partner.Client.GetAsync($"{otherEntities}{vendor}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await source.Client.GetAsync($"{entities}{vendor}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        var page = await (await partner.Client.GetAsync(entities, Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, page["count"]!.GetValue<long>());
        Assert.Equal(vendor, page["results"]![0]!.Str("vendor_data"));
    }

    [Fact]
    public async Task ImportIntoAnExistingEntityAddsTheSession()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var own = await app.CreateSessionAsync(partner, partner.KycWorkflowId, "customer-7");
        var before = await (await partner.Client.GetAsync("/v3/users/customer-7/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var clone = await app.ImportAsync(partner, token, partner.KycWorkflowId, vendorData: "customer-7");

        var after = await (await partner.Client.GetAsync("/v3/users/customer-7/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal([own, clone.Id("session_id")], after["session_ids"]!.AsArray().Select(id => Guid.Parse(id!.GetValue<string>())));
        Assert.Equal(before.Str("created_at"), after.Str("created_at"));
    }

    [Fact]
    public async Task CloneIsIndependentOfTheSource()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var clone = await app.ImportAsync(partner, token, partner.KycWorkflowId);
        var cloneId = clone.Id("session_id");

        var patched = await source.Client.PatchAsync($"/v3/session/{sessionId}/update-status/", Body.Json("{\"new_status\": \"Declined\", \"comment\": \"fraud\"}"), Ct);
        await patched.AssertJsonAsync(HttpStatusCode.OK);
        await app.DeleteSessionAsync(source, sessionId);

        Assert.True(JsonNode.DeepEquals(clone, await app.GetDecisionAsync(partner, cloneId)));
        await (await source.Client.GetAsync($"/v3/session/{cloneId}/decision/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ImportedSessionCanBeReviewedAndSharedOnward()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var third = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), partner.KycWorkflowId);
        var cloneId = clone.Id("session_id");

        var reviewed = await partner.Client.PatchAsync($"/v3/session/{cloneId}/update-status/", Body.Json("{\"new_status\": \"Approved\", \"comment\": \"re-reviewed\"}"), Ct);
        await reviewed.AssertJsonAsync(HttpStatusCode.OK);
        var onward = await app.ImportAsync(third, await app.ShareAsync(partner, cloneId, third.ApplicationId), third.KycWorkflowId, trustReview: true);

        Assert.Equal(cloneId, onward.Id("shared_from_session"));
        Assert.Equal("Approved", onward.Str("status"));
        Assert.True(JsonNode.DeepEquals(clone["id_verifications"], onward["id_verifications"]));
    }

    [Fact]
    public async Task ImportWithoutVendorDataCreatesNoEntity()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, vendorData: "source-only-vendor");

        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), partner.KycWorkflowId);

        Assert.Null(clone["vendor_data"]);
        var users = await (await partner.Client.GetAsync("/v3/users/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, users["count"]!.GetValue<long>());
        await (await partner.Client.GetAsync("/v3/users/source-only-vendor/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    private async Task<JsonObject> ShareAndImportAsync(TestApplication source, TestApplication partner, bool? trustReview)
    {
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        return await app.ImportAsync(partner, token, partner.KycWorkflowId, trustReview);
    }

    /// <summary>The document's status, its reviews, the activity log and the list row all use the kind's own spelling.</summary>
    private async Task AssertStatusesSpelledForAsync(SessionKind kind, TestApplication owner, Guid sessionId)
    {
        var allowed = kind == SessionKind.Business ? BusinessStatuses : UserStatuses;
        var document = await app.GetDecisionAsync(owner, sessionId);
        Assert.Contains(document.Str("status"), allowed);
        Assert.All(document["reviews"]!.AsArray(), r => Assert.True(r!["new_status"] is null || allowed.Contains(r.Str("new_status")), r.ToJsonString()));
        Assert.All(await app.GetReviewsAsync(owner, sessionId), r => Assert.True(r!["new_status"] is null || allowed.Contains(r.Str("new_status")), r.ToJsonString()));
        var page = await (await owner.Client.GetAsync($"/v3/sessions/?session_kind=all", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var row = page["results"]!.AsArray().Single(r => r!.Id("session_id") == sessionId)!;
        Assert.Contains(row.Str("status"), allowed);
    }
}
