using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Import: every check of <c>POST /v3/session/import-shared/</c>, in order, and that a refused import changes nothing.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class ImportTests(GatewayApp app)
{
    private const string ImportPath = "/v3/session/import-shared/";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- 400: the body ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"share_token\": ")]
    [InlineData("[]")]
    [InlineData("\"eyJ.eyJ.sig\"")]
    [InlineData("null")]
    [InlineData("")]
    public async Task BodyThatIsNotAJsonObjectIs400(string body)
    {
        var partner = await app.CreateApplicationAsync();

        var response = await partner.Client.PostAsync(ImportPath, Body.Json(body), Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{}", "share_token")]
    [InlineData("{\"share_token\": null}", "share_token")]
    [InlineData("{\"share_token\": \"\"}", "share_token")]
    [InlineData("{\"share_token\": 12345}", "share_token")]
    [InlineData("{\"share_token\": [\"a.b.c\"]}", "share_token")]
    [InlineData("{\"share_token\": {\"token\": \"a.b.c\"}}", "share_token")]
    public async Task MissingOrNonStringShareTokenIs400(string body, string field)
    {
        var partner = await app.CreateApplicationAsync();

        var response = await partner.Client.PostAsync(ImportPath, Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
    }

    /// <summary>Each body carries the real token, so the token must still import afterwards.</summary>
    [Theory]
    [InlineData("\"trust_review\": \"yes\"", "trust_review")]
    [InlineData("\"trust_review\": 1", "trust_review")]
    [InlineData("\"workflow_id\": 5", "workflow_id")]
    [InlineData("\"workflow_id\": \"kyc-workflow\"", "workflow_id")]
    [InlineData("\"vendor_data\": 42", "vendor_data")]
    [InlineData("\"vendor_data\": {\"id\": \"u-1\"}", "vendor_data")]
    public async Task WrongFieldTypesAre400AndSpendNothing(string field, string errorField)
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();

        var response = await partner.Client.PostAsync(ImportPath, Body.Json($"{{\"share_token\": \"{token}\", {field}}}"), Ct);

        await response.AssertValidationProblemAsync(errorField);
        await AssertNothingImportedAsync(source, sessionId, partner);
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task VendorDataOver256CharactersIs400AndSpendsNothing()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId, vendorData: new string('v', 257));

        await response.AssertValidationProblemAsync("vendor_data");
        await AssertNothingImportedAsync(source, sessionId, partner);
        var imported = await app.ImportAsync(partner, token, partner.KycWorkflowId, vendorData: new string('v', 256));
        Assert.Equal(new string('v', 256), imported.Str("vendor_data"));
    }

    [Fact]
    public async Task BodyIsCheckedBeforeTheToken()
    {
        var partner = await app.CreateApplicationAsync();

        var response = await app.TryImportAsync(partner, "garbage", vendorData: new string('v', 300));

        await response.AssertValidationProblemAsync("vendor_data");
    }

    // ---- 401: the token --------------------------------------------------------------------------------

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("a.b")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24.c2ln")]
    [InlineData("....")]
    public async Task TokenThatIsNotAWellFormedJwsIs401(string token)
    {
        var partner = await app.CreateApplicationAsync();

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TokenSignedWithAnotherKeyIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, key: new byte[32]));

    [Fact]
    public async Task TokenWhosePayloadWasAlteredIs401AndTheOriginalStillImports()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync(ttl: 60);
        var longer = TestTokens.Payload(token);
        longer["exp"] = longer["exp"]!.GetValue<long>() + 86400;

        var response = await app.TryImportAsync(partner, TestTokens.WithPayload(token, longer), partner.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await AssertNothingImportedAsync(source, sessionId, partner);
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task TokenWithAlgNoneIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, alg: "none"));

    [Fact]
    public async Task TokenWithAlgNoneButTheRealSignatureIs401() =>
        await AssertForgedTokenRejected((_, real) =>
        {
            var parts = real.Split('.');
            var header = TestTokens.Base64Url(System.Text.Encoding.UTF8.GetBytes($"{{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"{GatewayApp.SigningKeyId}\"}}"));
            return $"{header}.{parts[1]}.{parts[2]}";
        });

    [Fact]
    public async Task TokenSignedHs512WithTheSameSecretIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, alg: "HS512"));

    [Fact]
    public async Task TokenSignedHs384WithTheSameSecretIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, alg: "HS384"));

    [Fact]
    public async Task TokenWithUnknownKidIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, kid: "retired-2025-01"));

    [Fact]
    public async Task TokenWithoutKidIs401() =>
        await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(claims, kid: null));

    [Fact]
    public async Task ExpiredTokenIs401()
    {
        var problem = await AssertForgedTokenRejected((claims, _) =>
        {
            claims["iat"] = DateTimeOffset.UtcNow.AddMinutes(-61).ToUnixTimeSeconds();
            claims["exp"] = DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeSeconds();
            return TestTokens.Sign(claims);
        });

        Assert.Contains("expired", problem.Detail(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("session_id", null)]
    [InlineData("session_id", "\"not-a-uuid\"")]
    [InlineData("session_id", "42")]
    [InlineData("from_application_id", null)]
    [InlineData("from_application_id", "\"\"")]
    [InlineData("for_application_id", null)]
    [InlineData("for_application_id", "[\"a5f3bca2-46e2-411e-90ef-a580900a57ee\"]")]
    [InlineData("session_kind", "\"person\"")]
    [InlineData("session_kind", "\"USER\"")]
    [InlineData("session_kind", "1")]
    [InlineData("jti", "\"\"")]
    [InlineData("jti", "12345")]
    [InlineData("exp", null)]
    [InlineData("exp", "\"tomorrow\"")]
    [InlineData("iat", null)]
    [InlineData("iat", "\"today\"")]
    [InlineData("iat", "1.5e300")]
    [InlineData("exp", "1e300")]
    [InlineData("exp", "-5")]
    [InlineData("exp", "99999999999999999999999")]
    [InlineData("exp", "null")]
    public async Task TokenWithMissingOrMalformedClaimIs401(string claim, string? valueJson) =>
        await AssertForgedTokenRejected((claims, _) =>
        {
            if (valueJson is null)
            {
                claims.Remove(claim);
            }
            else
            {
                claims[claim] = JsonNode.Parse(valueJson);
            }

            return TestTokens.Sign(claims);
        });

    /// <summary>
    /// RFC 8725 (API.md, Share): <c>iat</c>, <c>exp</c> and <c>nbf</c> are JSON integers, <c>iat</c> at most 60 s ahead,
    /// <c>nbf</c> not ahead, <c>exp - iat</c> at most 86,400. Each row sets claims of a correctly signed token
    /// (<c>iat</c> = now, <c>exp</c> = now + 3600 unless set); <c>{now+N}</c> is the current unix time plus N.
    /// </summary>
    [Theory]
    [InlineData("exp as a numeric string", "exp=\"{now+3600}\"")]
    [InlineData("iat as a numeric string", "iat=\"{now}\"")]
    [InlineData("nbf as a numeric string", "nbf=\"{now-10}\"")]
    [InlineData("fractional iat", "iat={now}.5")]
    [InlineData("fractional exp", "exp={now+3600}.5")]
    [InlineData("fractional nbf", "nbf={now-10}.5")]
    [InlineData("exp with a fraction of zero", "exp={now+3600}.0")]
    [InlineData("exp in exponent form", "exp={now+3600}e0")]
    [InlineData("iat as a boolean", "iat=true")]
    [InlineData("nbf as null", "nbf=null")]
    [InlineData("nbf as an object", "nbf={}")]
    [InlineData("iat 2 minutes in the future", "iat={now+120}")]
    [InlineData("iat 90 s in the future", "iat={now+90};exp={now+690}")]
    [InlineData("nbf in the future", "nbf={now+30}")]
    [InlineData("exp - iat of 86,401 s", "exp={now+86401}")]
    [InlineData("exp - iat of a year", "iat={now-100};exp={now+31536000}")]
    [InlineData("exp before iat", "iat={now+50};exp={now+30}")]
    public async Task TokenWhoseTimesBreakRfc8725Is401(string rule, string claimsSet)
    {
        var problem = await AssertForgedTokenRejected((claims, _) => TestTokens.Sign(WithTimes(claims, claimsSet)));

        Assert.False(string.IsNullOrWhiteSpace(problem.Detail()), rule);
    }

    /// <summary>The edges of the same rules, inside them: these forged tokens import.</summary>
    [Theory]
    [InlineData("iat 30 s in the future", "iat={now+30};exp={now+3630}")]
    [InlineData("nbf in the past", "nbf={now-5}")]
    [InlineData("exp - iat of exactly 86,400 s", "iat={now-100};exp={now+86300}")]
    public async Task TokenInsideTheTimeRulesImports(string rule, string claimsSet)
    {
        var (_, partner, _, token) = await SharedKycSessionAsync();
        var claims = TestTokens.Payload(token);
        claims["jti"] = Guid.NewGuid().ToString();

        var response = await app.TryImportAsync(partner, TestTokens.Sign(WithTimes(claims, claimsSet)), partner.KycWorkflowId);

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{rule}: {await response.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal(1, await app.CountSessionsAsync(partner));
    }

    /// <summary>Sets <c>iat</c> to now and <c>exp</c> to an hour later, then each <c>claim=json</c> of <paramref name="claimsSet"/>.</summary>
    private static JsonObject WithTimes(JsonObject claims, string claimsSet)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        claims["iat"] = now;
        claims["exp"] = now + 3600;
        foreach (var assignment in claimsSet.Split(';'))
        {
            var (name, json) = (assignment[..assignment.IndexOf('=', StringComparison.Ordinal)], assignment[(assignment.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            json = NowPattern().Replace(json, m => (now + long.Parse(m.Groups[1].Value.Length == 0 ? "0" : m.Groups[1].Value, CultureInfo.InvariantCulture))
                .ToString(CultureInfo.InvariantCulture));
            claims[name] = JsonNode.Parse(json);
        }

        return claims;
    }

    [GeneratedRegex(@"\{now([+-]\d+)?\}")]
    private static partial Regex NowPattern();

    [Fact]
    public async Task ExpiryIsCheckedBeforeThePartner()
    {
        var (source, _, sessionId, _) = await SharedKycSessionAsync();
        var stranger = await app.CreateApplicationAsync();
        var expired = TestTokens.Sign(TestTokens.Claims(
            sessionId, "user", source.ApplicationId, Guid.NewGuid(), DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1), "j-1"));

        var response = await app.TryImportAsync(stranger, expired, stranger.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    // ---- 403 ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task TokenForAnotherApplicationIs403AndStillImportsForItsPartner()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        var stranger = await app.CreateApplicationAsync();

        var response = await app.TryImportAsync(stranger, token, stranger.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, await app.CountSessionsAsync(stranger));
        await AssertNothingImportedAsync(source, sessionId, partner);
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task SourceApplicationCannotRedeemItsOwnToken()
    {
        var (source, _, _, token) = await SharedKycSessionAsync();

        var response = await app.TryImportAsync(source, token, source.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RedeemedTokenIs403AlreadyImported()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        var imported = await app.ImportAsync(partner, token, partner.KycWorkflowId);

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("already imported", problem.Detail(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(imported["session_id"]!.GetValue<string>(), problem["session_id"]!.GetValue<string>());
        Assert.Equal(1, await app.CountSessionsAsync(partner));
        Assert.Single(await app.GetActionsAsync(source, sessionId), a => a == "imported_by_partner");
    }

    [Fact]
    public async Task SecondTokenForAnAlreadyImportedSourceIs403AlreadyImported()
    {
        var (source, partner, sessionId, first) = await SharedKycSessionAsync();
        var second = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var imported = await app.ImportAsync(partner, first, partner.KycWorkflowId);

        var response = await app.TryImportAsync(partner, second, partner.KycWorkflowId);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("already imported", problem.Detail(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(imported["session_id"]!.GetValue<string>(), problem["session_id"]!.GetValue<string>());
        Assert.Equal(1, await app.CountSessionsAsync(partner));
        Assert.Single(await app.GetActionsAsync(source, sessionId), a => a == "imported_by_partner");
    }

    [Fact]
    public async Task WrongPartnerIsCheckedBeforeTheSourceExists()
    {
        var (source, _, sessionId, token) = await SharedKycSessionAsync();
        var stranger = await app.CreateApplicationAsync();
        await app.DeleteSessionAsync(source, sessionId);

        var response = await app.TryImportAsync(stranger, token, stranger.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RedemptionIsCheckedBeforeTheSourceExists()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
        await app.DeleteSessionAsync(source, sessionId);

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AlreadyImportedIsCheckedBeforeTheWorkflow()
    {
        var (source, partner, sessionId, first) = await SharedKycSessionAsync();
        var second = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        await app.ImportAsync(partner, first, partner.KycWorkflowId);

        var response = await app.TryImportAsync(partner, second, Guid.NewGuid());

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    // ---- 404 ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task SourceDeletedAfterMintingIs404()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        await app.DeleteSessionAsync(source, sessionId);

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, await app.CountSessionsAsync(partner));
    }

    [Fact]
    public async Task SourceThatNeverExistedIs404()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var token = TestTokens.Sign(TestTokens.Claims(Guid.NewGuid(), "user", source.ApplicationId, partner.ApplicationId, jti: Guid.NewGuid().ToString()));

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SourceIsCheckedBeforeTheWorkflow()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        await app.DeleteSessionAsync(source, sessionId);

        var response = await app.TryImportAsync(partner, token, Guid.NewGuid());

        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no longer exists", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownWorkflowIs404AndSpendsNothing() =>
        await AssertWorkflowRejected(HttpStatusCode.NotFound, (_, _) => Task.FromResult(Guid.NewGuid()));

    [Fact]
    public async Task WorkflowOfTheSourceApplicationIs404AndSpendsNothing() =>
        await AssertWorkflowRejected(HttpStatusCode.NotFound, (source, _) => Task.FromResult(source.KycWorkflowId));

    [Fact]
    public async Task DeletedWorkflowIs404AndSpendsNothing() =>
        await AssertWorkflowRejected(HttpStatusCode.NotFound, async (_, partner) =>
        {
            var workflowId = await app.CreateWorkflowAsync(partner, SessionKind.User);
            var deleted = await partner.Client.DeleteAsync($"/v3/workflows/{workflowId}/", Ct);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            return workflowId;
        });

    // ---- 400: the workflow's kind --------------------------------------------------------------------------

    [Fact]
    public async Task BusinessWorkflowForAUserTokenIs400AndSpendsNothing() =>
        await AssertWorkflowRejected(HttpStatusCode.BadRequest, (_, partner) => Task.FromResult(partner.KybWorkflowId));

    [Fact]
    public async Task UserWorkflowForABusinessTokenIs400AndSpendsNothing()
    {
        var (source, partner, sessionId, token) = await SharedSessionAsync(SessionKind.Business);

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId);

        await response.AssertValidationProblemAsync("workflow_id");
        await AssertNothingImportedAsync(source, sessionId, partner);
        var imported = await app.ImportAsync(partner, token, partner.KybWorkflowId);
        Assert.Equal("business", imported.Str("session_kind"));
    }

    [Fact]
    public async Task NoWorkflowAndNoDefaultOfTheKindIs400AndSpendsNothing()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync(defaultWorkflows: false);
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var response = await app.TryImportAsync(partner, token);

        await response.AssertValidationProblemAsync("workflow_id");
        await AssertNothingImportedAsync(source, sessionId, partner);
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task NoWorkflowUsesTheDefaultOfTheTokensKind()
    {
        var (_, partner, _, token) = await SharedSessionAsync(SessionKind.Business);

        var imported = await app.ImportAsync(partner, token);

        Assert.Equal(partner.KybWorkflowId, imported.Id("workflow_id"));
    }

    // ---- 201 ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task ImportAnswers201WithTheNewSessionDocument()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, extra: new JsonObject
        {
            ["metadata"] = new JsonObject { ["user_type"] = "premium" },
            ["callback"] = "https://source.example/callback",
        });
        var sourceDocument = await app.GetDecisionAsync(source, sessionId);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var response = await app.TryImportAsync(partner, token, partner.KycWorkflowId, vendorData: "partner-user-42");

        var document = await response.AssertJsonAsync(HttpStatusCode.Created);
        var newId = document.Id("session_id");
        Assert.NotEqual(sessionId, newId);
        Assert.True(document["session_number"]!.GetValue<long>() > 0);
        Assert.Equal("user", document.Str("session_kind"));
        Assert.EndsWith($"/session/{newId}", document.Str("session_url"), StringComparison.Ordinal);
        Assert.StartsWith("http", document.Str("session_url"), StringComparison.Ordinal);
        Assert.Equal("In Review", document.Str("status"));
        Assert.Equal(partner.KycWorkflowId, document.Id("workflow_id"));
        Assert.Equal(["OCR", "LIVENESS", "FACE_MATCH", "AML"], document["features"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("partner-user-42", document.Str("vendor_data"));
        Assert.Equal(sessionId, document.Id("shared_from_session"));
        Assert.True(JsonNode.DeepEquals(sourceDocument["metadata"], document["metadata"]));
        document.Timestamp("created_at");
        foreach (var section in Sections.User)
        {
            Assert.True(JsonNode.DeepEquals(sourceDocument[section], document[section]), $"Section {section} differs");
        }

        Assert.DoesNotContain("registry_checks", document.Select(p => p.Key));
        Assert.IsType<JsonArray>(document["reviews"]);
        var reread = await app.GetDecisionAsync(partner, newId);
        Assert.True(JsonNode.DeepEquals(document, reread), $"{document.ToJsonString()}\n!=\n{reread.ToJsonString()}");
    }

    [Fact]
    public async Task ConcurrentImportsOfOneTokenCreateExactlyOneSession()
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => app.TryImportAsync(partner, token, partner.KycWorkflowId)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(11, responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
        Assert.Equal(1, await app.CountSessionsAsync(partner));
        Assert.Single(await app.GetActionsAsync(source, sessionId), a => a == "imported_by_partner");
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private Task<(TestApplication Source, TestApplication Partner, Guid SessionId, string Token)> SharedKycSessionAsync(int? ttl = null) =>
        SharedSessionAsync(SessionKind.User, ttl);

    private async Task<(TestApplication Source, TestApplication Partner, Guid SessionId, string Token)> SharedSessionAsync(SessionKind kind, int? ttl = null)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, kind);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId, ttl);
        return (source, partner, sessionId, token);
    }

    /// <summary>The partner has no session, and the source no <c>imported_by_partner</c> entry.</summary>
    private async Task AssertNothingImportedAsync(TestApplication source, Guid sessionId, TestApplication partner)
    {
        Assert.Equal(0, await app.CountSessionsAsync(partner));
        Assert.DoesNotContain("imported_by_partner", await app.GetActionsAsync(source, sessionId));
    }

    /// <summary>
    /// A token forged from the claims of a real share (and the real token, for tampering) is refused with 401,
    /// and the partner can still import the real token afterwards.
    /// </summary>
    private async Task<JsonObject> AssertForgedTokenRejected(Func<JsonObject, string, string> forge)
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        var claims = TestTokens.Payload(token);
        claims["jti"] = Guid.NewGuid().ToString();
        var forged = forge(claims, token);

        var response = await app.TryImportAsync(partner, forged, partner.KycWorkflowId);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await AssertNothingImportedAsync(source, sessionId, partner);
        await app.ImportAsync(partner, token, partner.KycWorkflowId);
        return problem;
    }

    private async Task AssertWorkflowRejected(HttpStatusCode status, Func<TestApplication, TestApplication, Task<Guid>> workflow)
    {
        var (source, partner, sessionId, token) = await SharedKycSessionAsync();
        var workflowId = await workflow(source, partner);

        var response = await app.TryImportAsync(partner, token, workflowId);

        if (status == HttpStatusCode.BadRequest)
        {
            await response.AssertValidationProblemAsync("workflow_id");
        }
        else
        {
            await response.AssertProblemAsync(status);
        }

        await AssertNothingImportedAsync(source, sessionId, partner);
        var imported = await app.ImportAsync(partner, token, partner.KycWorkflowId);
        Assert.Equal(partner.KycWorkflowId, imported.Id("workflow_id"));
    }
}
