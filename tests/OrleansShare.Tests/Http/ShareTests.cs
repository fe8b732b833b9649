using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Share: every check of <c>POST /v3/session/{id}/share/</c>, in order, and that a refused share records nothing.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ShareTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Issue 12, item 8: a share's audit entry counts against the session's 16 MiB cap. A session filled to within less
    /// than one entry of the cap refuses the share with 413, mints no token and records nothing.
    /// </summary>
    [Fact]
    public async Task AShareThatWouldTakeTheSessionPast16MiBIs413AndChangesNothing()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateSessionAsync(source, source.KycWorkflowId);
        foreach (var (section, length) in new[] { ("id_verifications", 6 << 20), ("liveness_checks", 6 << 20), ("face_matches", (4 << 20) - 8192) })
        {
            var decision = $$"""{"status": "Approved", "{{section}}": [{"blob": "{{new string('x', length)}}"}]}""";
            Assert.Equal(HttpStatusCode.OK, (await source.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(decision), Ct)).StatusCode);
        }

        // Fill what is left with reviews, longest first, until not even a one-character comment fits.
        for (var length = 4000; length >= 1; length /= 2)
        {
            while (true)
            {
                var review = await source.Client.PostAsync(
                    $"/v3/sessions/{sessionId}/reviews/", Body.Json($$"""{"comment": "{{new string('r', length)}}"}"""), Ct);
                if (review.StatusCode == HttpStatusCode.RequestEntityTooLarge)
                {
                    break;
                }

                Assert.Equal(HttpStatusCode.Created, review.StatusCode);
            }
        }

        var actionsBefore = await app.GetActionsAsync(source, sessionId);

        var refused = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        var problem = await refused.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("16 MiB", problem.Str("detail"));
        Assert.Equal(actionsBefore, await app.GetActionsAsync(source, sessionId));
        Assert.DoesNotContain("shared", actionsBefore);
        Assert.Equal("Approved", (await app.GetDecisionAsync(source, sessionId)).Str("status"));
    }

    [Fact]
    public async Task MissingSessionIs404()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();

        var response = await app.TryShareAsync(source, Guid.NewGuid(), new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletedSessionIs404()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        await app.DeleteSessionAsync(source, sessionId);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SessionOfAnotherApplicationIs404AndRecordsNothing()
    {
        var owner = await app.CreateApplicationAsync();
        var intruder = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(owner);

        var response = await app.TryShareAsync(intruder, sessionId, new JsonObject { ["for_application_id"] = owner.ApplicationId.ToString() });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(owner, sessionId));
    }

    [Fact]
    public async Task MissingSessionIsCheckedBeforeTheBody()
    {
        var source = await app.CreateApplicationAsync();

        var response = await source.Client.PostAsync($"/v3/session/{Guid.NewGuid()}/share/", Body.Json("{\"for_application_id\": 12}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(SessionKind.User, "Approved", "Declined", "In Review")]
    [InlineData(SessionKind.Business, "APPROVED", "DECLINED", "IN_REVIEW")]
    public async Task UnfinishedSessionIs400NamingTheAllowedStatuses(SessionKind kind, string first, string second, string third)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateSessionAsync(source, source.WorkflowFor(kind));

        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        var detail = (await response.AssertProblemAsync(HttpStatusCode.BadRequest)).Detail();
        Assert.Contains(first, detail, StringComparison.Ordinal);
        Assert.Contains(second, detail, StringComparison.Ordinal);
        Assert.Contains(third, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Fact]
    public async Task UnfinishedStatusIsCheckedBeforeTheTarget()
    {
        var source = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(source, source.KycWorkflowId);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = "not-a-uuid" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("In Review", problem.Detail(), StringComparison.Ordinal);
        Assert.Null(problem["errors"]?["for_application_id"]);
    }

    [Fact]
    public async Task MissingTargetIs400OnForApplicationId() =>
        await AssertTargetRejected(_ => new JsonObject { ["ttl_in_seconds"] = 3600 });

    [Fact]
    public async Task TargetThatIsNotAUuidIs400OnForApplicationId() =>
        await AssertTargetRejected(_ => new JsonObject { ["for_application_id"] = "partner-app-uuid" });

    [Fact]
    public async Task TargetThatIsNotAStringIs400OnForApplicationId() =>
        await AssertTargetRejected(_ => new JsonObject { ["for_application_id"] = 42 });

    [Fact]
    public async Task UnknownTargetIs400OnForApplicationId() =>
        await AssertTargetRejected(_ => new JsonObject { ["for_application_id"] = Guid.NewGuid().ToString() });

    [Fact]
    public async Task CallerAsTargetIs400OnForApplicationId() =>
        await AssertTargetRejected(source => new JsonObject { ["for_application_id"] = source.ApplicationId.ToString() });

    [Fact]
    public async Task SoftDeletedTargetIs400OnForApplicationId()
    {
        var partner = await app.CreateBareApplicationAsync();
        await app.DeleteApplicationAsync(partner.ApplicationId);

        await AssertTargetRejected(_ => new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });
    }

    [Fact]
    public async Task TargetIsCheckedBeforeTtl() =>
        await AssertTargetRejected(_ => new JsonObject { ["for_application_id"] = Guid.NewGuid().ToString(), ["ttl_in_seconds"] = 5 });

    /// <summary>API.md: <c>null</c>, <c>"3600"</c> and <c>3600.5</c> are not integers; each under either spelling.</summary>
    [Theory]
    [InlineData("ttl_in_seconds", "null")]
    [InlineData("ttl_in_seconds", "\"3600\"")]
    [InlineData("ttl_in_seconds", "3600.5")]
    [InlineData("ttl_in_seconds", "3600.0")]
    [InlineData("ttl_in_seconds", "true")]
    [InlineData("ttl_in_seconds", "59")]
    [InlineData("ttl_in_seconds", "0")]
    [InlineData("ttl_in_seconds", "-3600")]
    [InlineData("ttl_in_seconds", "86401")]
    [InlineData("ttl_in_seconds", "99999999999999999999")]
    [InlineData("expires_in", "null")]
    [InlineData("expires_in", "\"3600\"")]
    [InlineData("expires_in", "3600.5")]
    [InlineData("expires_in", "59")]
    [InlineData("expires_in", "86401")]
    public async Task BadTtlIs400OnTtlInSeconds(string spelling, string ttlJson)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await source.Client.PostAsync(
            $"/v3/session/{sessionId}/share/", Body.Json($"{{\"for_application_id\": \"{partner.ApplicationId}\", \"{spelling}\": {ttlJson}}}"), Ct);

        await response.AssertValidationProblemAsync("ttl_in_seconds");
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Fact]
    public async Task AbsentTtlMeansOneHour()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var claims = TestTokens.Payload(token);
        Assert.Equal(3600, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(60)]
    [InlineData(7200)]
    [InlineData(86400)]
    public async Task TtlBoundsAreInclusive(int ttl)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId, ttl);

        var claims = TestTokens.Payload(token);
        Assert.Equal(ttl, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(SessionKind.User, "user")]
    [InlineData(SessionKind.Business, "business")]
    public async Task ShareAnswers201WithASignedTokenForThePartner(SessionKind kind, string wireKind)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, kind);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var response = await app.TryShareAsync(source, sessionId, new JsonObject
        {
            ["for_application_id"] = partner.ApplicationId.ToString(),
            ["ttl_in_seconds"] = 600,
            ["unknown_field"] = "ignored",
        });

        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(partner.ApplicationId, shared.Id("for_application_id"));
        Assert.Equal(wireKind, shared.Str("session_kind"));
        var token = shared.Str("share_token");
        Assert.Equal(3, token.Split('.').Length);

        var header = TestTokens.Header(token);
        Assert.Equal("HS256", header.Str("alg"));
        Assert.Equal("JWT", header.Str("typ"));
        Assert.Equal(GatewayApp.SigningKeyId, header.Str("kid"));

        var claims = TestTokens.Payload(token);
        Assert.Equal(sessionId, claims.Id("session_id"));
        Assert.Equal(wireKind, claims.Str("session_kind"));
        Assert.Equal(source.ApplicationId, claims.Id("from_application_id"));
        Assert.Equal(partner.ApplicationId, claims.Id("for_application_id"));
        var iat = claims["iat"]!.GetValue<long>();
        var exp = claims["exp"]!.GetValue<long>();
        Assert.InRange(iat, before - 1, after + 1);
        Assert.Equal(iat + 600, exp);
        Assert.False(string.IsNullOrEmpty(claims.Str("jti")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(exp), shared.Timestamp("expires_at"));

        Assert.True(TestTokens.IsSignedWith(token, GatewayApp.SigningKey));
    }

    [Fact]
    public async Task EveryMintIsAnAuditEntryOnTheSource()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var first = TestTokens.Payload(await app.ShareAsync(source, sessionId, partner.ApplicationId, 300));
        var second = TestTokens.Payload(await app.ShareAsync(source, sessionId, partner.ApplicationId));

        Assert.NotEqual(first.Str("jti"), second.Str("jti"));
        var shared = (await app.GetReviewsAsync(source, sessionId)).Where(e => e!.Str("action") == "shared").ToList();
        Assert.Equal(2, shared.Count);
        var details = shared[0]!["details"]!;
        Assert.Equal(first.Str("jti"), details.Str("token_id"));
        Assert.Equal(partner.ApplicationId, details.Id("for_application_id"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(first["exp"]!.GetValue<long>()), details.Timestamp("expires_at"));
        Assert.Equal(source.ApiKeyId, details.Id("api_key_id"));
        Assert.Equal(second.Str("jti"), shared[1]!["details"]!.Str("token_id"));
    }

    [Theory]
    [InlineData("Declined")]
    [InlineData("In Review")]
    public async Task EveryFinishedStatusCanBeShared(string status)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, SessionKind.User, Decisions.Verified(SessionKind.User, status));

        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        Assert.Equal(sessionId, TestTokens.Payload(token).Id("session_id"));
    }

    /// <summary>
    /// API.md, Sessions: a review records any status of the session's kind; then share is allowed or refused as the
    /// status table says. Each session starts on the other side of the table (a shareable status is reached from
    /// <c>Not Started</c>, a refused one from <c>Approved</c>), so the review is what decides.
    /// </summary>
    [Theory]
    [InlineData(SessionKind.User, "Not Started", false)]
    [InlineData(SessionKind.User, "In Progress", false)]
    [InlineData(SessionKind.User, "Approved", true)]
    [InlineData(SessionKind.User, "Declined", true)]
    [InlineData(SessionKind.User, "In Review", true)]
    [InlineData(SessionKind.User, "Expired", false)]
    [InlineData(SessionKind.User, "Abandoned", false)]
    [InlineData(SessionKind.User, "Kyc Expired", false)]
    [InlineData(SessionKind.User, "Resubmitted", false)]
    [InlineData(SessionKind.User, "Awaiting User", false)]
    [InlineData(SessionKind.Business, "NOT_STARTED", false)]
    [InlineData(SessionKind.Business, "IN_PROGRESS", false)]
    [InlineData(SessionKind.Business, "APPROVED", true)]
    [InlineData(SessionKind.Business, "DECLINED", true)]
    [InlineData(SessionKind.Business, "IN_REVIEW", true)]
    [InlineData(SessionKind.Business, "EXPIRED", false)]
    [InlineData(SessionKind.Business, "ABANDONED", false)]
    [InlineData(SessionKind.Business, "KYC_EXPIRED", false)]
    [InlineData(SessionKind.Business, "RESUBMITTED", false)]
    [InlineData(SessionKind.Business, "AWAITING_USER", false)]
    public async Task EveryStatusAReviewRecordsIsSharedOrRefusedAsTheStatusTableSays(SessionKind kind, string status, bool shareable)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = shareable ? await app.CreateSessionAsync(source, source.WorkflowFor(kind)) : await app.CreateVerifiedSessionAsync(source, kind);

        var review = await source.Client.PostAsync(
            $"/v3/sessions/{sessionId}/reviews/", Body.Json(new JsonObject { ["new_status"] = status, ["comment"] = "capture pipeline" }), Ct);
        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        Assert.Equal(status, (await review.AssertJsonAsync(HttpStatusCode.Created)).Str("new_status"));
        Assert.Equal(status, (await app.GetDecisionAsync(source, sessionId)).Str("status"));
        if (shareable)
        {
            Assert.Equal(sessionId, TestTokens.Payload((await response.AssertJsonAsync(HttpStatusCode.Created)).Str("share_token")).Id("session_id"));
        }
        else
        {
            Assert.Contains($"'{status}'", (await response.AssertProblemAsync(HttpStatusCode.BadRequest)).Detail(), StringComparison.Ordinal);
            Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
        }
    }

    // ---- Other clients' spellings (API.md, Share) ------------------------------------------------------

    /// <summary>Didit's MCP server (<c>@didit-protocol/mcp-server</c>) sends the session id again and the partner as <c>partner_client_id</c>.</summary>
    [Fact]
    public async Task DiditMcpServerBodyMintsATokenThePartnerImports()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject
        {
            ["session_id"] = sessionId.ToString(),
            ["partner_client_id"] = partner.ApplicationId.ToString(),
        });

        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(partner.ApplicationId, shared.Id("for_application_id"));
        var claims = TestTokens.Payload(shared.Str("share_token"));
        Assert.Equal(partner.ApplicationId, claims.Id("for_application_id"));
        Assert.Equal(3600, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
        var imported = await app.ImportAsync(partner, shared.Str("share_token"), partner.KycWorkflowId);
        Assert.Equal(sessionId, imported.Id("shared_from_session"));
    }

    [Theory]
    [InlineData("audience")]
    [InlineData("partner_client_id")]
    public async Task OtherSpellingOfTheTargetMeansForApplicationId(string spelling)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject { [spelling] = partner.ApplicationId.ToString() });

        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(partner.ApplicationId, shared.Id("for_application_id"));
        Assert.Equal(partner.ApplicationId, TestTokens.Payload(shared.Str("share_token")).Id("for_application_id"));
    }

    [Fact]
    public async Task ExpiresInMeansTtlInSeconds()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject
        {
            ["partner_client_id"] = partner.ApplicationId.ToString(),
            ["expires_in"] = 600,
        });

        var claims = TestTokens.Payload((await response.AssertJsonAsync(HttpStatusCode.Created)).Str("share_token"));
        Assert.Equal(600, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task EverySpellingWithTheSameValueIsAccepted()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var target = partner.ApplicationId.ToString();

        var response = await app.TryShareAsync(source, sessionId, new JsonObject
        {
            ["for_application_id"] = target,
            ["audience"] = target,
            ["partner_client_id"] = target,
            ["ttl_in_seconds"] = 900,
            ["expires_in"] = 900,
        });

        var claims = TestTokens.Payload((await response.AssertJsonAsync(HttpStatusCode.Created)).Str("share_token"));
        Assert.Equal(partner.ApplicationId, claims.Id("for_application_id"));
        Assert.Equal(900, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("for_application_id", "audience")]
    [InlineData("for_application_id", "partner_client_id")]
    [InlineData("audience", "partner_client_id")]
    public async Task TwoTargetsUnderTwoSpellingsAre400NamingBoth(string first, string second)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var other = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject
        {
            [first] = partner.ApplicationId.ToString(),
            [second] = other.ApplicationId.ToString(),
        });

        await AssertConflictAsync(response, first, second);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Theory]
    [InlineData("600", "900")]
    [InlineData("600", "null")]
    [InlineData("600", "\"600\"")]
    public async Task TwoLifetimesUnderTwoSpellingsAre400NamingBoth(string ttlInSeconds, string expiresIn)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await source.Client.PostAsync($"/v3/session/{sessionId}/share/", Body.Json(
            $"{{\"for_application_id\": \"{partner.ApplicationId}\", \"ttl_in_seconds\": {ttlInSeconds}, \"expires_in\": {expiresIn}}}"), Ct);

        await AssertConflictAsync(response, "ttl_in_seconds", "expires_in");
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Theory]
    [InlineData("audience", "partner-app-uuid")]
    [InlineData("partner_client_id", "not-a-uuid")]
    public async Task TargetThatIsNotAUuidUnderAnotherSpellingIs400OnForApplicationId(string spelling, string target) =>
        await AssertTargetRejected(_ => new JsonObject { [spelling] = target });

    [Fact]
    public async Task UnknownTargetUnderAnotherSpellingIs400OnForApplicationId() =>
        await AssertTargetRejected(_ => new JsonObject { ["partner_client_id"] = Guid.NewGuid().ToString() });

    [Fact]
    public async Task ShareAnswerCarriesTheTokenIdItsJtiAndItsAuditEntry()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });

        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        var tokenId = shared.Str("token_id");
        Assert.False(string.IsNullOrEmpty(tokenId));
        Assert.Equal(tokenId, TestTokens.Payload(shared.Str("share_token")).Str("jti"));
        var entry = (await app.GetReviewsAsync(source, sessionId)).Single(e => e!.Str("action") == "shared")!;
        Assert.Equal(tokenId, entry["details"]!.Str("token_id"));
    }

    private static async Task AssertConflictAsync(HttpResponseMessage response, string first, string second)
    {
        var problem = await response.AssertValidationProblemAsync(first);
        Assert.True(problem["errors"]?[second] is JsonArray { Count: > 0 }, $"No errors.{second} in {problem.ToJsonString()}");
        Assert.Contains(first, problem.Detail(), StringComparison.Ordinal);
        Assert.Contains(second, problem.Detail(), StringComparison.Ordinal);
    }

    private async Task AssertTargetRejected(Func<TestApplication, JsonObject> body)
    {
        var source = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await app.TryShareAsync(source, sessionId, body(source));

        await response.AssertValidationProblemAsync("for_application_id");
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }
}
