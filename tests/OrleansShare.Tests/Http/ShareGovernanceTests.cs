using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Share governance: purpose, scope (selective disclosure), consent, the ledger and the sharing policy.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ShareGovernanceTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject ShareBody(TestApplication partner, string? extra = null)
    {
        var body = new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() };
        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(extra)!.AsObject().ToList())
            {
                body[key] = value?.DeepClone();
            }
        }

        return body;
    }

    private const string Terms = """
        {"purpose": "lending", "scope": ["id_verifications", "aml_screenings"],
         "consent": {"obtained_at": "2026-01-15T09:30:00Z", "method": "in_app_checkbox", "reference": "consent-7781"}}
        """;

    [Fact]
    public async Task ShareAnswersPurposeAndScopeAndRecordsThemOnBothSides()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var shared = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, Terms))).AssertJsonAsync(HttpStatusCode.Created);

        Assert.Equal("lending", shared.Str("purpose"));
        Assert.Equal(["id_verifications", "aml_screenings"], shared["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        var tokenId = shared.Str("token_id");
        var clone = await app.ImportAsync(partner, shared.Str("share_token"));
        var expected = new Dictionary<string, string>
        {
            ["purpose"] = "lending",
            ["scope"] = "id_verifications,aml_screenings",
            ["token_id"] = tokenId,
            ["expires_at"] = shared.Timestamp("expires_at").UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        var sourceLog = await app.GetReviewsAsync(source, sessionId);
        AssertDetails(expected, sourceLog.Single(e => e!.Str("action") == "shared")!);
        AssertDetails(expected, sourceLog.Single(e => e!.Str("action") == "imported_by_partner")!);
        AssertDetails(expected, (await app.GetReviewsAsync(partner, clone.Id("session_id"))).Single(e => e!.Str("action") == "imported")!);
    }

    private static void AssertDetails(Dictionary<string, string> expected, JsonNode entry)
    {
        var details = entry["details"]!.AsObject();
        foreach (var (key, value) in expected)
        {
            Assert.True(details.ContainsKey(key), $"{entry["action"]} has no details.{key}: {entry.ToJsonString()}");
            Assert.Equal(value, details[key]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task ShareWithoutTermsAnswersNullPurposeAndScope()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var shared = await (await app.TryShareAsync(source, sessionId, ShareBody(partner))).AssertJsonAsync(HttpStatusCode.Created);

        Assert.True(shared.ContainsKey("purpose") && shared["purpose"] is null);
        Assert.True(shared.ContainsKey("scope") && shared["scope"] is null);
        var entry = (await app.GetReviewsAsync(source, sessionId)).Single(e => e!.Str("action") == "shared")!;
        Assert.False(entry["details"]!.AsObject().ContainsKey("purpose"));
        Assert.False(entry["details"]!.AsObject().ContainsKey("scope"));
    }

    [Theory]
    [InlineData("""{"purpose": "Onboarding"}""", "purpose")]
    [InlineData("""{"purpose": ""}""", "purpose")]
    [InlineData("""{"purpose": "on boarding"}""", "purpose")]
    [InlineData("""{"purpose": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}""", "purpose")]
    [InlineData("""{"purpose": 7}""", "purpose")]
    [InlineData("""{"scope": []}""", "scope")]
    [InlineData("""{"scope": "id_verifications"}""", "scope")]
    [InlineData("""{"scope": ["selfie"]}""", "scope")]
    [InlineData("""{"scope": ["registry_checks"]}""", "scope")]
    [InlineData("""{"consent": "yes"}""", "consent")]
    [InlineData("""{"consent": {"method": "checkbox"}}""", "consent.obtained_at")]
    [InlineData("""{"consent": {"obtained_at": "yesterday", "method": "checkbox"}}""", "consent.obtained_at")]
    [InlineData("""{"consent": {"obtained_at": "2099-01-01T00:00:00Z", "method": "checkbox"}}""", "consent.obtained_at")]
    [InlineData("""{"consent": {"obtained_at": "2026-01-01T00:00:00Z"}}""", "consent.method")]
    [InlineData("""{"consent": {"obtained_at": "2026-01-01T00:00:00Z", "method": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}""", "consent.method")]
    public async Task InvalidTermsAre400NamingTheMemberAndChangeNothing(string terms, string field)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, ShareBody(partner, terms));

        await response.AssertValidationProblemAsync(field);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
        Assert.Empty(await (await source.Client.GetAsync($"/v3/session/{sessionId}/shares/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task AConsentReferenceOver256CharactersIs400()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var terms = $$$"""{"consent": {"obtained_at": "2026-01-01T00:00:00Z", "method": "checkbox", "reference": "{{{new string('r', 257)}}}"}}""";

        await (await app.TryShareAsync(source, sessionId, ShareBody(partner, terms))).AssertValidationProblemAsync("consent.reference");
    }

    /// <summary>Selective disclosure: the clone holds the sections in scope exactly as the source holds them, and every other section empty.</summary>
    [Theory]
    [InlineData(SessionKind.User, new[] { "id_verifications", "aml_screenings" })]
    [InlineData(SessionKind.Business, new[] { "registry_checks", "key_people_checks" })]
    public async Task AScopedCloneHoldsOnlyTheSectionsInScopeByteForByte(SessionKind kind, string[] scope)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(
            source, kind, Decisions.Build(kind == SessionKind.User ? "Approved" : "APPROVED", kind == SessionKind.User ? Decisions.RichKyc : Decisions.RichKyb));
        var terms = new JsonObject { ["scope"] = new JsonArray([.. scope.Select(s => JsonValue.Create(s))]) };

        var shared = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, terms.ToJsonString()))).AssertJsonAsync(HttpStatusCode.Created);
        var clone = await app.ImportAsync(partner, shared.Str("share_token"));

        var sourceText = await (await source.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).Content.ReadAsStringAsync(Ct);
        var cloneText = await (await partner.Client.GetAsync($"/v3/session/{clone.Id("session_id")}/decision/", Ct)).Content.ReadAsStringAsync(Ct);
        using var sourceDocument = JsonDocument.Parse(sourceText);
        using var cloneDocument = JsonDocument.Parse(cloneText);
        foreach (var section in Sections.For(kind))
        {
            var cloned = cloneDocument.RootElement.GetProperty(section);
            if (scope.Contains(section))
            {
                Assert.NotEqual(0, cloned.GetArrayLength());
                Assert.Equal(sourceDocument.RootElement.GetProperty(section).GetRawText(), cloned.GetRawText());
            }
            else
            {
                Assert.NotEqual(0, sourceDocument.RootElement.GetProperty(section).GetArrayLength());
                Assert.Equal("[]", cloned.GetRawText());
            }
        }
    }

    [Fact]
    public async Task SessionSharesListEveryTokenNewestFirstWithItsState()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var first = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, Terms))).AssertJsonAsync(HttpStatusCode.Created);
        var second = await (await app.TryShareAsync(source, sessionId, ShareBody(other))).AssertJsonAsync(HttpStatusCode.Created);
        var third = await (await app.TryShareAsync(source, sessionId, ShareBody(other))).AssertJsonAsync(HttpStatusCode.Created);
        await app.ImportAsync(partner, first.Str("share_token"));
        Assert.Equal(HttpStatusCode.NoContent,
            (await source.Client.DeleteAsync($"/v3/session/{sessionId}/shares/{second.Str("token_id")}/", Ct)).StatusCode);

        var shares = await (await source.Client.GetAsync($"/v3/session/{sessionId}/shares/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);

        Assert.Equal([third.Str("token_id"), second.Str("token_id"), first.Str("token_id")], shares.Select(s => s!.Str("token_id")));
        Assert.Equal(["pending", "revoked", "redeemed"], shares.Select(s => s!.Str("state")));
        var redeemed = shares[2]!;
        Assert.Equal(partner.ApplicationId, redeemed.Id("for_application_id"));
        Assert.Equal("lending", redeemed.Str("purpose"));
        Assert.Equal(["id_verifications", "aml_screenings"], redeemed["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("in_app_checkbox", redeemed["consent"]!.Str("method"));
        Assert.Equal("consent-7781", redeemed["consent"]!.Str("reference"));
        Assert.Equal(DateTimeOffset.Parse("2026-01-15T09:30:00Z", System.Globalization.CultureInfo.InvariantCulture), redeemed["consent"]!.Timestamp("obtained_at"));
        redeemed.Timestamp("redeemed_at");
        Assert.Null(redeemed["revoked_at"]);
        shares[1]!.Timestamp("revoked_at");
        Assert.Null(shares[0]!["purpose"]);
        Assert.Null(shares[0]!["consent"]);
        Assert.Equal(first.Timestamp("expires_at"), redeemed.Timestamp("expires_at"));
    }

    [Fact]
    public async Task SessionSharesOfAnotherApplicationsSessionAre404()
    {
        var source = await app.CreateApplicationAsync();
        var stranger = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        await (await stranger.Client.GetAsync($"/v3/session/{sessionId}/shares/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await source.Client.GetAsync($"/v3/session/{Guid.NewGuid()}/shares/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    /// <summary>The ledger holds one entry per token and party: the source's outgoing and the importer's incoming share one token_id.</summary>
    [Fact]
    public async Task TheLedgerShowsTheSameTokenOnBothSides()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var shared = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, Terms))).AssertJsonAsync(HttpStatusCode.Created);
        var clone = await app.ImportAsync(partner, shared.Str("share_token"));

        var outgoing = await (await source.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var incoming = await (await partner.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        var mine = Assert.Single(outgoing["results"]!.AsArray())!;
        var theirs = Assert.Single(incoming["results"]!.AsArray())!;
        Assert.Equal(1, outgoing["count"]!.GetValue<long>());
        Assert.Equal(shared.Str("token_id"), mine.Str("token_id"));
        Assert.Equal(shared.Str("token_id"), theirs.Str("token_id"));
        Assert.Equal("outgoing", mine.Str("direction"));
        Assert.Equal("incoming", theirs.Str("direction"));
        Assert.Equal(partner.ApplicationId, mine.Id("partner_application_id"));
        Assert.Equal(source.ApplicationId, theirs.Id("partner_application_id"));
        Assert.Equal(sessionId, mine.Id("session_id"));
        Assert.Equal(sessionId, theirs.Id("session_id"));
        Assert.Equal("user", theirs.Str("session_kind"));
        Assert.Equal("redeemed", mine.Str("state"));
        Assert.Equal("redeemed", theirs.Str("state"));
        Assert.Equal("lending", theirs.Str("purpose"));
        Assert.Equal(clone.Id("session_id"), theirs.Id("imported_session_id"));
        Assert.False(mine.AsObject().ContainsKey("imported_session_id"));
        Assert.Equal(mine.Timestamp("created_at"), theirs.Timestamp("created_at"));
    }

    [Fact]
    public async Task TheLedgerFiltersByDirectionPartnerPurposeAndDateAndPages()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await app.TryShareAsync(source, sessionId, ShareBody(partner, """{"purpose": "lending"}"""));
        await app.TryShareAsync(source, sessionId, ShareBody(other, """{"purpose": "payments"}"""));
        await app.TryShareAsync(source, sessionId, ShareBody(other, """{"purpose": "lending"}"""));
        var fromOther = await app.CreateVerifiedSessionAsync(other);
        await app.ImportAsync(source, await app.ShareAsync(other, fromOther, source.ApplicationId));

        async Task<JsonObject> Ledger(string query) =>
            await (await source.Client.GetAsync($"/v3/share-ledger/?{query}", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal(4, (await Ledger("")).Number("count"));
        Assert.Equal(3, (await Ledger("direction=outgoing")).Number("count"));
        Assert.Equal("incoming", Assert.Single((await Ledger("direction=incoming"))["results"]!.AsArray())!.Str("direction"));
        Assert.Equal(3, (await Ledger($"partner_application_id={other.ApplicationId}")).Number("count"));
        Assert.Equal(2, (await Ledger("purpose=lending")).Number("count"));
        Assert.Equal(1, (await Ledger($"purpose=lending&partner_application_id={other.ApplicationId}")).Number("count"));
        Assert.Equal(4, (await Ledger($"date_from={Uri.EscapeDataString(before.ToString("O"))}")).Number("count"));
        Assert.Equal(0, (await Ledger($"date_to={Uri.EscapeDataString(before.ToString("O"))}")).Number("count"));
        var page = await Ledger("limit=3");
        Assert.Equal(3, page["results"]!.AsArray().Count);
        Assert.Contains("offset=3", page.Str("next"), StringComparison.Ordinal);
        var times = page["results"]!.AsArray().Select(e => e!.Timestamp("created_at")).ToList();
        Assert.Equal(times.OrderDescending(), times);
    }

    [Theory]
    [InlineData("direction=both", "direction")]
    [InlineData("partner_application_id=nope", "partner_application_id")]
    [InlineData("purpose=Lending", "purpose")]
    [InlineData("limit=0", "limit")]
    public async Task TheLedgerRefusesBadQueries(string query, string field)
    {
        var source = await app.CreateApplicationAsync();

        await (await source.Client.GetAsync($"/v3/share-ledger/?{query}", Ct)).AssertValidationProblemAsync(field);
    }

    /// <summary>Deleting a session erases its personal data; its ledger entries (ids, parties, purpose, scope, times) stay.</summary>
    [Fact]
    public async Task TheLedgerOutlivesTheSession()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var shared = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, Terms))).AssertJsonAsync(HttpStatusCode.Created);
        await app.ImportAsync(partner, shared.Str("share_token"));

        await app.DeleteSessionAsync(source, sessionId);

        await (await source.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        var entry = Assert.Single((await (await source.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK))["results"]!.AsArray())!;
        Assert.Equal(shared.Str("token_id"), entry.Str("token_id"));
        Assert.Equal(sessionId, entry.Id("session_id"));
        Assert.Equal("lending", entry.Str("purpose"));
        Assert.Equal("redeemed", entry.Str("state"));
        Assert.Single((await (await partner.Client.GetAsync("/v3/share-ledger/", Ct)).AssertJsonAsync(HttpStatusCode.OK))["results"]!.AsArray());
    }

    [Fact]
    public async Task ThePolicyDefaultsAndIsReplacedWhole()
    {
        var source = await app.CreateApplicationAsync();

        var initial = await (await source.Client.GetAsync("/v3/sharing-policy/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("""{"allowed_partners":null,"require_consent":false,"require_purpose":false,"max_ttl_in_seconds":86400,"max_verification_age_days":null}""",
            initial.ToJsonString());

        var put = await source.Client.PutAsync("/v3/sharing-policy/", Body.Json(
            """{"allowed_partners": [], "require_consent": true, "require_purpose": true, "max_ttl_in_seconds": 600, "max_verification_age_days": 30}"""), Ct);
        Assert.Equal("""{"allowed_partners":[],"require_consent":true,"require_purpose":true,"max_ttl_in_seconds":600,"max_verification_age_days":30}""",
            (await put.AssertJsonAsync(HttpStatusCode.OK)).ToJsonString());
        Assert.Equal(600, (await (await source.Client.GetAsync("/v3/sharing-policy/", Ct)).AssertJsonAsync(HttpStatusCode.OK)).Number("max_ttl_in_seconds"));

        var reset = await source.Client.PutAsync("/v3/sharing-policy/", Body.Json("{}"), Ct);
        Assert.Equal(initial.ToJsonString(), (await reset.AssertJsonAsync(HttpStatusCode.OK)).ToJsonString());
    }

    [Theory]
    [InlineData("""{"allowed_partners": "any"}""", "allowed_partners")]
    [InlineData("""{"allowed_partners": ["nope"]}""", "allowed_partners")]
    [InlineData("""{"require_consent": "yes"}""", "require_consent")]
    [InlineData("""{"max_ttl_in_seconds": 59}""", "max_ttl_in_seconds")]
    [InlineData("""{"max_ttl_in_seconds": 86401}""", "max_ttl_in_seconds")]
    [InlineData("""{"max_verification_age_days": 0}""", "max_verification_age_days")]
    public async Task AnInvalidPolicyIs400AndChangesNothing(string body, string field)
    {
        var source = await app.CreateApplicationAsync();

        await (await source.Client.PutAsync("/v3/sharing-policy/", Body.Json(body), Ct)).AssertValidationProblemAsync(field);

        Assert.Equal(86400, (await (await source.Client.GetAsync("/v3/sharing-policy/", Ct)).AssertJsonAsync(HttpStatusCode.OK)).Number("max_ttl_in_seconds"));
    }

    /// <summary>Each rule of the policy refuses a share that breaks it with 403 naming the rule, and mints nothing.</summary>
    [Theory]
    [InlineData("""{"allowed_partners": []}""", null, "allowed_partners")]
    [InlineData("""{"allowed_partners": ["00000000-0000-0000-0000-000000000001"]}""", null, "allowed_partners")]
    [InlineData("""{"require_consent": true}""", """{"purpose": "lending"}""", "require_consent")]
    [InlineData("""{"require_purpose": true}""", """{"consent": {"obtained_at": "2026-01-01T00:00:00Z", "method": "checkbox"}}""", "require_purpose")]
    [InlineData("""{"max_ttl_in_seconds": 600}""", """{"ttl_in_seconds": 601}""", "max_ttl_in_seconds")]
    public async Task APolicyRefusesAShareThatBreaksItWith403NamingTheRule(string policy, string? terms, string rule)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        (await source.Client.PutAsync("/v3/sharing-policy/", Body.Json(policy), Ct)).EnsureSuccessStatusCode();

        var problem = await (await app.TryShareAsync(source, sessionId, ShareBody(partner, terms))).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(rule, problem.Str("rule"));
        Assert.Contains(rule, problem.Detail(), StringComparison.Ordinal);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Fact]
    public async Task APolicyAllowsTheShareItsRulesAllowAndCapsTheDefaultTtl()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        (await source.Client.PutAsync("/v3/sharing-policy/", Body.Json(
            $$"""{"allowed_partners": ["{{partner.ApplicationId}}"], "require_consent": true, "require_purpose": true, "max_ttl_in_seconds": 600}"""), Ct))
            .EnsureSuccessStatusCode();

        var response = await app.TryShareAsync(source, sessionId, ShareBody(partner, Terms));

        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        var lifetime = shared.Timestamp("expires_at") - DateTimeOffset.UtcNow;
        Assert.InRange(lifetime, TimeSpan.FromSeconds(500), TimeSpan.FromSeconds(600));
        await app.ImportAsync(partner, shared.Str("share_token"));
    }
}
