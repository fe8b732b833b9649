using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Applications;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Workflows: features, kind, one default per kind, scoping to the caller.</summary>
[Collection(GatewayCollection.Name)]
public sealed class WorkflowTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Issue 12, item 8: an application's workflows are bounded, so its state and the list answer are too.</summary>
    [Fact]
    public async Task AnApplicationHasAtMost100WorkflowsAndTheNextIs409()
    {
        var application = await app.CreateBareApplicationAsync();
        for (var i = 0; i < WorkflowDefinition.MaxPerApplication; i++)
        {
            var created = await application.Client.PostAsync("/v3/workflows/", Body.Json($$"""{"workflow_label": "w{{i}}", "features": ["OCR"]}"""), Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var refused = await application.Client.PostAsync("/v3/workflows/", Body.Json("""{"workflow_label": "one more", "features": ["OCR"]}"""), Ct);

        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("100", problem.Str("detail"));
        var listed = await (await application.Client.GetAsync("/v3/workflows/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(WorkflowDefinition.MaxPerApplication, listed.Count);
        Assert.DoesNotContain(listed, w => w!.Str("workflow_label") == "one more");
    }

    [Fact]
    public async Task CreateAnswers201WithFeaturesAsObjectsOrStrings()
    {
        var application = await app.CreateBareApplicationAsync();

        var response = await application.Client.PostAsync("/v3/workflows/", Body.Json("""
            {"workflow_label": "KYC full", "features": ["OCR", {"feature": "LIVENESS", "config": {"threshold": 0.85, "mode": "ACTIVE_3D"}}, {"feature": "NFC"}],
             "is_default": false}
            """), Ct);

        var workflow = await response.AssertJsonAsync(HttpStatusCode.Created);
        workflow.Id("workflow_id");
        Assert.Equal("KYC full", workflow.Str("workflow_label"));
        Assert.Equal("user", workflow.Str("workflow_kind"));
        Assert.False(workflow["is_default"]!.GetValue<bool>());
        workflow.Timestamp("created_at");
        var features = workflow["features"]!.AsArray();
        Assert.Equal(["OCR", "LIVENESS", "NFC"], features.Select(f => f!.Str("feature")));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"threshold\": 0.85, \"mode\": \"ACTIVE_3D\"}"), features[1]!["config"]));
    }

    [Theory]
    [InlineData("[\"KYB_REGISTRY\"]", "business")]
    [InlineData("[\"AML\", \"KYB_DOCUMENTS\"]", "business")]
    [InlineData("[\"OCR\", \"LIVENESS\", \"KYB_KEY_PEOPLE\"]", "business")]
    [InlineData("[\"AML\", \"PHONE_VERIFICATION\", \"EMAIL_VERIFICATION\"]", "user")]
    [InlineData("[\"OCR\", \"NFC\", \"LIVENESS\", \"FACE_MATCH\", \"PROOF_OF_ADDRESS\", \"QUESTIONNAIRE\", \"DATABASE_VALIDATION\", \"IP_ANALYSIS\", \"AGE_ESTIMATION\"]", "user")]
    public async Task KindIsBusinessWhenAnyKybFeatureIsPresent(string features, string kind)
    {
        var application = await app.CreateBareApplicationAsync();

        var response = await application.Client.PostAsync("/v3/workflows/", Body.Json($"{{\"workflow_label\": \"w\", \"features\": {features}}}"), Ct);

        Assert.Equal(kind, (await response.AssertJsonAsync(HttpStatusCode.Created)).Str("workflow_kind"));
    }

    [Theory]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [\"SELFIE\"]}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [\"ocr\"]}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [\"OCR\", {\"feature\": \"KYB_MAGIC\"}]}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [{\"config\": {}}]}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [42]}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": []}", "features")]
    [InlineData("{\"workflow_label\": \"w\"}", "features")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": \"OCR\"}", "features")]
    [InlineData("{\"features\": [\"OCR\"]}", "workflow_label")]
    [InlineData("{\"workflow_label\": \"w\", \"features\": [\"OCR\"], \"is_default\": \"yes\"}", "is_default")]
    public async Task InvalidWorkflowIs400AndCreatesNothing(string body, string field)
    {
        var application = await app.CreateBareApplicationAsync();

        var response = await application.Client.PostAsync("/v3/workflows/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
        Assert.Empty(await ListAsync(application));
    }

    [Fact]
    public async Task UnknownFeatureIsNamedInTheError()
    {
        var application = await app.CreateBareApplicationAsync();

        var response = await application.Client.PostAsync("/v3/workflows/", Body.Json("{\"workflow_label\": \"w\", \"features\": [\"OCR\", \"SELFIE\"]}"), Ct);

        var problem = await response.AssertValidationProblemAsync("features");
        Assert.Contains("SELFIE", problem["errors"]!["features"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneDefaultPerKind()
    {
        var application = await app.CreateBareApplicationAsync();
        var firstUser = await CreateAsync(application, "[\"OCR\"]", isDefault: true);
        var business = await CreateAsync(application, "[\"KYB_REGISTRY\"]", isDefault: true);

        var secondUser = await CreateAsync(application, "[\"OCR\", \"LIVENESS\"]", isDefault: true);

        var defaults = (await ListAsync(application)).ToDictionary(w => w!.Id("workflow_id"), w => w!["is_default"]!.GetValue<bool>());
        Assert.Equal(new Dictionary<Guid, bool> { [firstUser] = false, [business] = true, [secondUser] = true }, defaults);
        var first = await (await application.Client.GetAsync($"/v3/workflows/{firstUser}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(first["is_default"]!.GetValue<bool>());
        var session = await (await application.Client.PostAsync("/v3/session/", Body.Json("{}"), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(secondUser, session.Id("workflow_id"));
    }

    [Fact]
    public async Task NonDefaultWorkflowLeavesTheDefaultAlone()
    {
        var application = await app.CreateBareApplicationAsync();
        var defaultWorkflow = await CreateAsync(application, "[\"OCR\"]", isDefault: true);

        await CreateAsync(application, "[\"OCR\"]", isDefault: false);

        var listed = await ListAsync(application);
        Assert.Equal(defaultWorkflow, Assert.Single(listed, w => w!["is_default"]!.GetValue<bool>())!.Id("workflow_id"));
    }

    [Fact]
    public async Task WorkflowsAreScopedToTheirApplication()
    {
        var owner = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();

        await (await other.Client.GetAsync($"/v3/workflows/{owner.KycWorkflowId}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await other.Client.DeleteAsync($"/v3/workflows/{owner.KycWorkflowId}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(new[] { other.KycWorkflowId, other.KybWorkflowId }.Order(), (await ListAsync(other)).Select(w => w!.Id("workflow_id")).Order());
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync($"/v3/workflows/{owner.KycWorkflowId}/", Ct)).StatusCode);
    }

    [Fact]
    public async Task DeletedWorkflowIsGone()
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.DeleteAsync($"/v3/workflows/{application.KycWorkflowId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await (await application.Client.GetAsync($"/v3/workflows/{application.KycWorkflowId}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await application.Client.DeleteAsync($"/v3/workflows/{application.KycWorkflowId}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal([application.KybWorkflowId], (await ListAsync(application)).Select(w => w!.Id("workflow_id")));
        await (await application.Client.PostAsync("/v3/session/", Body.Json("{}"), Ct)).AssertValidationProblemAsync("workflow_id");
    }

    private static async Task<Guid> CreateAsync(TestApplication application, string features, bool isDefault)
    {
        var response = await application.Client.PostAsync(
            "/v3/workflows/", Body.Json($"{{\"workflow_label\": \"w\", \"features\": {features}, \"is_default\": {(isDefault ? "true" : "false")}}}"), Ct);
        return (await response.AssertJsonAsync(HttpStatusCode.Created)).Id("workflow_id");
    }

    private static async Task<JsonArray> ListAsync(TestApplication application) =>
        await (await application.Client.GetAsync("/v3/workflows/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
}
