using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Operator API: applications and API keys.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateApplicationShowsTheKeyOnce()
    {
        var organizationId = Guid.NewGuid();

        var response = await app.Admin.PostAsync("/admin/v1/applications/", Body.Json(new JsonObject
        {
            ["name"] = "Banco Ñandú",
            ["organization_id"] = organizationId.ToString(),
        }), Ct);

        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        var applicationId = created.Id("application_id");
        Assert.Equal("Banco Ñandú", created.Str("name"));
        Assert.Equal(organizationId, created.Id("organization_id"));
        var apiKey = created.Str("api_key");
        Assert.StartsWith("osk_", apiKey, StringComparison.Ordinal);
        Assert.True(apiKey.Length >= 40);
        created.Id("api_key_id");
        created.Timestamp("created_at");
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient(apiKey).GetAsync("/v3/sessions/", Ct)).StatusCode);

        var read = await app.Admin.GetAsync($"/admin/v1/applications/{applicationId}/", Ct);

        var readText = await read.Content.ReadAsStringAsync(Ct);
        var application = await read.AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(applicationId, application.Id("application_id"));
        Assert.Equal("Banco Ñandú", application.Str("name"));
        Assert.Equal(organizationId, application.Id("organization_id"));
        Assert.Equal(created.Str("created_at"), application.Str("created_at"));
        Assert.False(application.ContainsKey("api_key"));
        Assert.DoesNotContain(apiKey, readText, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey[4..], readText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrganizationIsOptional()
    {
        var response = await app.Admin.PostAsync("/admin/v1/applications/", Body.Json("{\"name\": \"solo\"}"), Ct);

        Assert.Null((await response.AssertJsonAsync(HttpStatusCode.Created))["organization_id"]);
    }

    [Theory]
    [InlineData("{}", "name")]
    [InlineData("{\"name\": \"\"}", "name")]
    [InlineData("{\"name\": 5}", "name")]
    [InlineData("{\"name\": \"x\", \"organization_id\": \"org-1\"}", "organization_id")]
    public async Task InvalidApplicationIs400(string body, string field)
    {
        var response = await app.Admin.PostAsync("/admin/v1/applications/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
    }

    [Fact]
    public async Task UnknownApplicationIs404()
    {
        var unknown = Guid.NewGuid();

        await (await app.Admin.GetAsync($"/admin/v1/applications/{unknown}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await app.Admin.DeleteAsync($"/admin/v1/applications/{unknown}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await app.Admin.PostAsync($"/admin/v1/applications/{unknown}/api-keys/", Body.Json("{\"privileges\": [\"read:sessions\"]}"), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await app.Admin.DeleteAsync($"/admin/v1/applications/{unknown}/api-keys/{Guid.NewGuid()}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletedApplicationIsSoftDeletedAndNoLongerAShareTarget()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var response = await app.Admin.DeleteAsync($"/admin/v1/applications/{partner.ApplicationId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var read = await (await app.Admin.GetAsync($"/admin/v1/applications/{partner.ApplicationId}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.True(read["deleted"]!.GetValue<bool>());
        var share = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });
        await share.AssertValidationProblemAsync("for_application_id");
        await (await app.TryImportAsync(partner, token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await app.Admin.PostAsync($"/admin/v1/applications/{partner.ApplicationId}/api-keys/", Body.Json("{\"privileges\": [\"read:sessions\"]}"), Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain("imported_by_partner", await app.GetActionsAsync(source, sessionId));
    }

    [Fact]
    public async Task CreateApiKeyAnswers201WithTheKeyAndItsPrivileges()
    {
        var application = await app.CreateApplicationAsync();

        var response = await app.Admin.PostAsync(
            $"/admin/v1/applications/{application.ApplicationId}/api-keys/", Body.Json("{\"privileges\": [\"read:sessions\", \"write:sessions\"]}"), Ct);

        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        var keyId = created.Id("api_key_id");
        Assert.NotEqual(application.ApiKeyId, keyId);
        Assert.Equal(["read:sessions", "write:sessions"], created["privileges"]!.AsArray().Select(p => p!.GetValue<string>()));
        var apiKey = created.Str("api_key");
        Assert.NotEqual(application.ApiKey, apiKey);
        var client = app.CreateClient(apiKey);
        var session = await (await client.PostAsync("/v3/session/", Body.Json("{}"), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await application.Client.GetAsync($"/v3/session/{session.Id("session_id")}/decision/", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"privileges\": []}")]
    [InlineData("{\"privileges\": \"read:sessions\"}")]
    [InlineData("{\"privileges\": [\"admin:all\"]}")]
    [InlineData("{\"privileges\": [\"read:sessions\", 7]}")]
    public async Task InvalidPrivilegesAre400(string body)
    {
        var application = await app.CreateApplicationAsync();

        var response = await app.Admin.PostAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync("privileges");
    }

    [Fact]
    public async Task RevokingAnUnknownKeyIs404()
    {
        var application = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();

        await (await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{Guid.NewGuid()}/", Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{other.ApiKeyId}/", Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(HttpStatusCode.OK, (await other.Client.GetAsync("/v3/sessions/", Ct)).StatusCode);
    }
}
