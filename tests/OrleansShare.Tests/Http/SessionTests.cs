using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Sessions: create, record a decision, read, update status, review, delete.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(SessionKind.User, "user", "Not Started")]
    [InlineData(SessionKind.Business, "business", "NOT_STARTED")]
    public async Task CreateAnswers201WithTheSession(SessionKind kind, string wireKind, string status)
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.PostAsync("/v3/session/", Body.Json(new JsonObject
        {
            ["workflow_id"] = application.WorkflowFor(kind).ToString(),
            ["vendor_data"] = "user-1",
            ["callback"] = "https://example.com/done",
            ["metadata"] = new JsonObject { ["account_id"] = "ABC123", ["score"] = 1.5 },
            ["language"] = "es",
            ["not_a_field"] = true,
        }), Ct);

        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        var sessionId = created.Id("session_id");
        Assert.True(created["session_number"]!.GetValue<long>() > 0);
        Assert.Equal(wireKind, created.Str("session_kind"));
        Assert.EndsWith($"/session/{sessionId}", created.Str("url"), StringComparison.Ordinal);
        Assert.Equal(status, created.Str("status"));
        Assert.Equal(application.WorkflowFor(kind), created.Id("workflow_id"));
        Assert.Equal("user-1", created.Str("vendor_data"));
        Assert.Equal("https://example.com/done", created.Str("callback"));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["account_id"] = "ABC123", ["score"] = 1.5 }, created["metadata"]));
    }

    [Fact]
    public async Task SessionNumbersAreUniqueWithinTheApplication()
    {
        var application = await app.CreateApplicationAsync();

        var numbers = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var response = await application.Client.PostAsync("/v3/session/", Body.Json(new JsonObject { ["workflow_id"] = application.KycWorkflowId.ToString() }), Ct);
            numbers.Add((await response.AssertJsonAsync(HttpStatusCode.Created))["session_number"]!.GetValue<long>());
        }

        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n > 0));
    }

    [Fact]
    public async Task WorkflowIdMayBeOmittedWithADefaultUserWorkflow()
    {
        var application = await app.CreateApplicationAsync();

        var created = await (await application.Client.PostAsync("/v3/session/", Body.Json("{}"), Ct)).AssertJsonAsync(HttpStatusCode.Created);

        Assert.Equal(application.KycWorkflowId, created.Id("workflow_id"));
        Assert.Equal("user", created.Str("session_kind"));
    }

    [Fact]
    public async Task WorkflowIdIsRequiredWithoutADefault()
    {
        var application = await app.CreateApplicationAsync(defaultWorkflows: false);

        var response = await application.Client.PostAsync("/v3/session/", Body.Json("{\"vendor_data\": \"u\"}"), Ct);

        await response.AssertValidationProblemAsync("workflow_id");
        Assert.Equal(0, await app.CountSessionsAsync(application));
    }

    [Fact]
    public async Task UnknownWorkflowIs404()
    {
        var application = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();

        var response = await application.Client.PostAsync("/v3/session/", Body.Json(new JsonObject { ["workflow_id"] = other.KycWorkflowId.ToString() }), Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{\"workflow_id\": \"abc\"}", "workflow_id")]
    [InlineData("{\"vendor_data\": 7}", "vendor_data")]
    [InlineData("{\"metadata\": \"text\"}", "metadata")]
    [InlineData("{\"metadata\": [1, 2]}", "metadata")]
    [InlineData("{\"contact_details\": 1}", "contact_details")]
    [InlineData("{\"expected_details\": true}", "expected_details")]
    public async Task CreateValidatesTheBody(string body, string field)
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.PostAsync("/v3/session/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
        Assert.Equal(0, await app.CountSessionsAsync(application));
    }

    [Fact]
    public async Task CreateRefusesVendorDataOver256Characters()
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.PostAsync("/v3/session/", Body.Json(new JsonObject { ["vendor_data"] = new string('x', 257) }), Ct);

        await response.AssertValidationProblemAsync("vendor_data");
    }

    [Theory]
    [InlineData(SessionKind.User)]
    [InlineData(SessionKind.Business)]
    public async Task DocumentCarriesEverySectionOfItsKindOnly(SessionKind kind)
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.WorkflowFor(kind), "doc-user");

        var document = await app.GetDecisionAsync(application, sessionId);

        foreach (var field in new[] { "session_id", "session_number", "session_kind", "session_url", "status", "workflow_id", "features", "vendor_data",
                     "metadata", "expected_details", "contact_details", "callback", "shared_from_session", "created_at", "reviews" })
        {
            Assert.True(document.ContainsKey(field), $"No {field} in {document.ToJsonString()}");
        }

        Assert.Null(document["shared_from_session"]);
        document.Timestamp("created_at");
        foreach (var section in Sections.For(kind))
        {
            Assert.Equal("[]", document[section]!.ToJsonString());
        }

        var other = kind == SessionKind.Business ? Sections.User : Sections.Business;
        foreach (var section in other.Except(Sections.For(kind)))
        {
            Assert.False(document.ContainsKey(section), $"{section} in a {kind} document");
        }
    }

    [Theory]
    [InlineData(SessionKind.User, "{\"status\": \"Approved\", \"registry_checks\": []}", "registry_checks")]
    [InlineData(SessionKind.Business, "{\"status\": \"APPROVED\", \"id_verifications\": []}", "id_verifications")]
    [InlineData(SessionKind.User, "{\"status\": \"Approved\", \"selfies\": []}", "selfies")]
    [InlineData(SessionKind.User, "{\"status\": \"In Progress\"}", "status")]
    [InlineData(SessionKind.User, "{\"status\": \"APPROVED\"}", "status")]
    [InlineData(SessionKind.Business, "{\"status\": \"Approved\"}", "status")]
    [InlineData(SessionKind.User, "{\"id_verifications\": []}", "status")]
    [InlineData(SessionKind.User, "{\"status\": \"Approved\", \"id_verifications\": {\"status\": \"Approved\"}}", "id_verifications")]
    [InlineData(SessionKind.User, "{\"status\": \"Approved\", \"id_verifications\": [1, 2]}", "id_verifications")]
    public async Task InvalidDecisionIs400AndChangesNothing(SessionKind kind, string body, string field)
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.WorkflowFor(kind));

        var response = await application.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
        Assert.Equal(kind == SessionKind.Business ? "NOT_STARTED" : "Not Started", (await app.GetDecisionAsync(application, sessionId)).Str("status"));
        Assert.Equal(["created"], await app.GetActionsAsync(application, sessionId));
    }

    /// <summary>
    /// Issue 12, item 8: decisions merge sections into a session, each request within the 16 MiB ingest limit; the one
    /// that would take the session past 16 MiB is 413 and changes nothing, and the session goes on working.
    /// </summary>
    [Fact]
    public async Task ASessionGrownPast16MiBByManyDecisionsIsRefusedWith413AndChangesNothing()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.KycWorkflowId);
        var filler = new string('x', 6 * 1024 * 1024);
        string Decision(string section) => $$"""{"status": "Approved", "{{section}}": [{"blob": "{{filler}}"}]}""";

        foreach (var section in new[] { "id_verifications", "liveness_checks" })
        {
            var accepted = await application.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(Decision(section)), Ct);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var refused = await application.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(Decision("face_matches")), Ct);

        var problem = await refused.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("16 MiB", problem.Str("detail"));
        var document = await app.GetDecisionAsync(application, sessionId);
        Assert.Equal(filler.Length, document["id_verifications"]![0]!["blob"]!.GetValue<string>().Length);
        Assert.Equal(filler.Length, document["liveness_checks"]![0]!["blob"]!.GetValue<string>().Length);
        Assert.Empty(document["face_matches"]!.AsArray());
        Assert.Equal(["created", "decision_recorded", "decision_recorded"], await app.GetActionsAsync(application, sessionId));

        // Replacing a section with a smaller one is a change within the cap.
        var smaller = await application.Client.PutAsync($"/v3/session/{sessionId}/decision/",
            Body.Json("""{"status": "Declined", "id_verifications": [{"blob": "small"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, smaller.StatusCode);
        Assert.Equal("Declined", (await app.GetDecisionAsync(application, sessionId)).Str("status"));
    }

    [Fact]
    public async Task DecisionAnswersTheSessionDocument()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.KycWorkflowId);

        var document = await app.RecordDecisionAsync(application, sessionId, Decisions.Verified(SessionKind.User));

        Assert.Equal("Approved", document.Str("status"));
        Assert.Equal(sessionId, document.Id("session_id"));
        Assert.Equal("Identity Card", document["id_verifications"]![0]!.Str("document_type"));
        Assert.Equal(["created", "decision_recorded"], await app.GetActionsAsync(application, sessionId));
    }

    [Fact]
    public async Task SessionsOfAnotherApplicationAre404Everywhere()
    {
        var owner = await app.CreateApplicationAsync();
        var intruder = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(owner);

        await (await intruder.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await intruder.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(Decisions.Verified(SessionKind.User, "Declined")), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await intruder.Client.PatchAsync($"/v3/session/{sessionId}/update-status/", Body.Json("{\"new_status\": \"Declined\"}"), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await intruder.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await intruder.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json("{\"comment\": \"x\"}"), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await intruder.Client.DeleteAsync($"/v3/session/{sessionId}/delete/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal("Approved", (await app.GetDecisionAsync(owner, sessionId)).Str("status"));
        Assert.Equal(["created", "decision_recorded"], await app.GetActionsAsync(owner, sessionId));
    }

    [Theory]
    [InlineData(SessionKind.User, "Declined")]
    [InlineData(SessionKind.User, "Resubmitted")]
    [InlineData(SessionKind.Business, "DECLINED")]
    [InlineData(SessionKind.Business, "RESUBMITTED")]
    public async Task UpdateStatusAddsAReviewEntry(SessionKind kind, string status)
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application, kind);

        var response = await application.Client.PatchAsync(
            $"/v3/session/{sessionId}/update-status/", Body.Json(new JsonObject { ["new_status"] = status, ["comment"] = "AML hit confirmed" }), Ct);

        var document = await response.AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(status, document.Str("status"));
        var review = document["reviews"]!.AsArray().Last()!;
        Assert.Equal(status, review.Str("new_status"));
        Assert.Equal("AML hit confirmed", review.Str("comment"));
        Assert.Equal($"api_key:{application.ApiKeyId}", review.Str("user"));
        review.Timestamp("created_at");
        Assert.Equal("status_updated", (await app.GetActionsAsync(application, sessionId)).Last());
    }

    [Theory]
    [InlineData(SessionKind.User, "In Progress")]
    [InlineData(SessionKind.User, "Expired")]
    [InlineData(SessionKind.User, "Awaiting User")]
    [InlineData(SessionKind.Business, "IN_PROGRESS")]
    [InlineData(SessionKind.Business, "KYC_EXPIRED")]
    [InlineData(SessionKind.User, "APPROVED")]
    [InlineData(SessionKind.Business, "Approved")]
    [InlineData(SessionKind.User, "")]
    public async Task UpdateStatusRefusesStatusesAReviewerCannotSet(SessionKind kind, string status) =>
        await AssertStatusRefusedAsync(kind, (client, sessionId) =>
            client.PatchAsync($"/v3/session/{sessionId}/update-status/", Body.Json(new JsonObject { ["new_status"] = status }), Ct));

    [Fact]
    public async Task ReviewsCanBeAddedAndListedOldestFirst()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application);

        var response = await application.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json("{\"comment\": \"Document looks genuine\"}"), Ct);

        var entry = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal("Document looks genuine", entry.Str("comment"));
        Assert.Null(entry["new_status"]);
        entry.Timestamp("created_at");
        var reviews = await app.GetReviewsAsync(application, sessionId);
        Assert.Equal(["created", "decision_recorded", "reviewed"], reviews.Select(r => r!.Str("action")));
        var times = reviews.Select(r => r!.Timestamp("created_at")).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal("Approved", (await app.GetDecisionAsync(application, sessionId)).Str("status"));
    }

    /// <summary>
    /// Issue 12, item 8: the activity log answers at most 1,000 entries (Didit's bare array kept), and pages with
    /// <c>limit</c> and <c>offset</c>, the next and previous pages named in a <c>Link</c> header.
    /// </summary>
    [Fact]
    public async Task ReviewsArePagedWithLimitOffsetAndALinkHeader()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application);
        for (var i = 0; i < 3; i++)
        {
            (await application.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json($$"""{"comment": "c{{i}}"}"""), Ct))
                .EnsureSuccessStatusCode();
        }

        var first = await application.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/?limit=2", Ct);

        var firstPage = await first.AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(["created", "decision_recorded"], firstPage.Select(r => r!.Str("action")));
        var links = first.Headers.GetValues("Link").Single();
        Assert.Contains("offset=2", links, StringComparison.Ordinal);
        Assert.Contains("rel=\"next\"", links, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"prev\"", links, StringComparison.Ordinal);

        var last = await application.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/?limit=2&offset=4", Ct);

        var lastPage = await last.AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal("c2", Assert.Single(lastPage)!.Str("comment"));
        Assert.DoesNotContain("rel=\"next\"", last.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var whole = await application.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/", Ct);
        Assert.Equal(5, (await whole.AssertJsonArrayAsync(HttpStatusCode.OK)).Count);
        Assert.False(whole.Headers.Contains("Link"));
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("offset=-1")]
    [InlineData("limit=two")]
    public async Task ReviewsRefuseABadPage(string query)
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application);

        var response = await application.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/?{query}", Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    /// <summary>A review records any status of the session's kind (see ShareTests), and nothing else: each kind keeps its spelling.</summary>
    [Theory]
    [InlineData(SessionKind.User, "IN_PROGRESS")]
    [InlineData(SessionKind.User, "APPROVED")]
    [InlineData(SessionKind.User, "in progress")]
    [InlineData(SessionKind.User, "Pending")]
    [InlineData(SessionKind.User, "")]
    [InlineData(SessionKind.Business, "In Progress")]
    [InlineData(SessionKind.Business, "Kyc Expired")]
    [InlineData(SessionKind.Business, "KYC EXPIRED")]
    public async Task ReviewRefusesAStatusThatIsNotOfTheSessionsKind(SessionKind kind, string status) =>
        await AssertStatusRefusedAsync(kind, (client, sessionId) =>
            client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json(new JsonObject { ["new_status"] = status }), Ct));

    [Fact]
    public async Task EmptyReviewIs400()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application);

        var response = await application.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", Body.Json("{}"), Ct);

        await response.AssertValidationProblemAsync("comment");
    }

    [Fact]
    public async Task DeletedSessionIsGoneEverywhere()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application, vendorData: "to-delete");

        var response = await application.Client.DeleteAsync($"/v3/session/{sessionId}/delete/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await (await application.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await application.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await application.Client.DeleteAsync($"/v3/session/{sessionId}/delete/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await application.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(Decisions.Verified(SessionKind.User)), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, await app.CountSessionsAsync(application));
    }

    /// <summary>A verified session asked by <paramref name="send"/> for a status it refuses: 400 on <c>new_status</c>, nothing changed.</summary>
    private async Task AssertStatusRefusedAsync(SessionKind kind, Func<HttpClient, Guid, Task<HttpResponseMessage>> send)
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application, kind);

        var response = await send(application.Client, sessionId);

        await response.AssertValidationProblemAsync("new_status");
        Assert.Equal(kind == SessionKind.Business ? "APPROVED" : "Approved", (await app.GetDecisionAsync(application, sessionId)).Str("status"));
        Assert.Equal(["created", "decision_recorded"], await app.GetActionsAsync(application, sessionId));
    }
}
