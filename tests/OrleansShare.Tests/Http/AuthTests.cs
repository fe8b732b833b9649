using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Gateway.Auth;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Conventions (auth, privileges) and the operator key: 401 and 403 with problem details.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> ApiCalls => new()
    {
        { "GET", "/v3/sessions/" },
        { "POST", "/v3/session/" },
        { "POST", "/v3/session/import-shared/" },
        { "POST", $"/v3/session/{Guid.NewGuid()}/share/" },
        { "GET", $"/v3/session/{Guid.NewGuid()}/decision/" },
        { "PUT", $"/v3/session/{Guid.NewGuid()}/decision/" },
        { "GET", "/v3/workflows/" },
        { "POST", "/v3/workflows/" },
        { "GET", "/v3/trust-policies/" },
        { "GET", "/v3/users/someone/" },
        { "GET", "/v3/businesses/" },
    };

    [Theory]
    [MemberData(nameof(ApiCalls))]
    public async Task MissingApiKeyIs401(string method, string path)
    {
        var response = await app.Anonymous.SendAsync(Request(method, path), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(ApiCalls))]
    public async Task UnknownApiKeyIs401(string method, string path)
    {
        var client = app.CreateClient("osk_" + Guid.NewGuid().ToString("N"));

        var response = await client.SendAsync(Request(method, path), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AdminKeyIsNotAnApiKey()
    {
        var client = app.CreateClient(GatewayApp.AdminKey);

        var response = await client.GetAsync("/v3/sessions/", Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RevokedApiKeyIs401AtOnce()
    {
        var application = await app.CreateApplicationAsync();
        var (keyId, key) = await CreateKeyAsync(application.ApplicationId, "read:sessions", "write:sessions");
        var client = app.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v3/sessions/", Ct)).StatusCode);

        var revoked = await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{keyId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await (await client.GetAsync("/v3/sessions/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsync("/v3/session/", Body.Json(new JsonObject { ["workflow_id"] = application.KycWorkflowId.ToString() }), Ct))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await application.Client.GetAsync("/v3/sessions/", Ct)).StatusCode);
    }

    [Fact]
    public async Task ARevokedKeyLeavesTheGatewayCacheBeforeTheRevokeAnswers()
    {
        var cache = app.Services.GetRequiredService<ApiKeyCache>();
        await cache.Serving.WaitAsync(Ct);
        var application = await app.CreateApplicationAsync();
        var (keyId, key) = await CreateKeyAsync(application.ApplicationId, "read:sessions");
        var client = app.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v3/sessions/", Ct)).StatusCode);
        Assert.True(cache.Remembers(ApiKeyHash.GrainKey(key)));

        var revoked = await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{keyId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.False(cache.Remembers(ApiKeyHash.GrainKey(key)));
        await (await client.GetAsync("/v3/sessions/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DeletingAnApplicationStopsItsCachedKeys()
    {
        var cache = app.Services.GetRequiredService<ApiKeyCache>();
        await cache.Serving.WaitAsync(Ct);
        var application = await app.CreateApplicationAsync();
        Assert.Equal(HttpStatusCode.OK, (await application.Client.GetAsync("/v3/workflows/", Ct)).StatusCode);

        var deleted = await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await application.Client.GetAsync("/v3/workflows/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RevokingTheFirstKeyStopsIt()
    {
        var application = await app.CreateApplicationAsync();

        var revoked = await app.Admin.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{application.ApiKeyId}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await (await application.Client.GetAsync("/v3/workflows/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ReadOnlyKeyGets403OnEveryWriteAndChangesNothing()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var reader = app.CreateClient((await CreateKeyAsync(source.ApplicationId, "read:sessions")).Key);
        var partnerReader = app.CreateClient((await CreateKeyAsync(partner.ApplicationId, "read:sessions")).Key);
        var actionsBefore = await app.GetActionsAsync(source, sessionId);

        var writes = new (HttpClient Client, HttpMethod Method, string Path, string Body)[]
        {
            (reader, HttpMethod.Post, "/v3/session/", $"{{\"workflow_id\": \"{source.KycWorkflowId}\"}}"),
            (reader, HttpMethod.Put, $"/v3/session/{sessionId}/decision/", Decisions.Verified(Grains.Common.SessionKind.User, "Declined")),
            (reader, HttpMethod.Patch, $"/v3/session/{sessionId}/update-status/", "{\"new_status\": \"Declined\"}"),
            (reader, HttpMethod.Post, $"/v3/sessions/{sessionId}/reviews/", "{\"comment\": \"looks fine\"}"),
            (reader, HttpMethod.Delete, $"/v3/session/{sessionId}/delete/", ""),
            (reader, HttpMethod.Post, $"/v3/session/{sessionId}/share/", $"{{\"for_application_id\": \"{partner.ApplicationId}\"}}"),
            (reader, HttpMethod.Post, "/v3/workflows/", "{\"workflow_label\": \"x\", \"features\": [\"OCR\"]}"),
            (reader, HttpMethod.Put, $"/v3/trust-policies/{partner.ApplicationId}/", "{\"trust_review\": true}"),
            (partnerReader, HttpMethod.Post, "/v3/session/import-shared/", $"{{\"share_token\": \"{token}\"}}"),
        };

        foreach (var (client, method, path, body) in writes)
        {
            var request = new HttpRequestMessage(method, path);
            if (body.Length > 0)
            {
                request.Content = Body.Json(body);
            }

            var response = await client.SendAsync(request, Ct);

            var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("write:sessions", problem.Detail(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).StatusCode);
        Assert.Equal(actionsBefore, await app.GetActionsAsync(source, sessionId));
        Assert.Equal("Approved", (await app.GetDecisionAsync(source, sessionId)).Str("status"));
        Assert.Equal(0, await app.CountSessionsAsync(partner));
        await app.ImportAsync(partner, token);
    }

    [Fact]
    public async Task WriteOnlyKeyGets403OnReads()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(application);
        var writer = app.CreateClient((await CreateKeyAsync(application.ApplicationId, "write:sessions")).Key);

        var read = await writer.GetAsync($"/v3/session/{sessionId}/decision/", Ct);
        var list = await writer.GetAsync("/v3/sessions/", Ct);
        var created = await writer.PostAsync("/v3/session/", Body.Json(new JsonObject { ["workflow_id"] = application.KycWorkflowId.ToString() }), Ct);

        Assert.Contains("read:sessions", (await read.AssertProblemAsync(HttpStatusCode.Forbidden)).Detail(), StringComparison.Ordinal);
        await list.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task KeysOfASoftDeletedApplicationAre401()
    {
        var application = await app.CreateApplicationAsync();
        var (_, second) = await CreateKeyAsync(application.ApplicationId, "read:sessions");

        await app.DeleteApplicationAsync(application.ApplicationId);

        await (await application.Client.GetAsync("/v3/sessions/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await app.CreateClient(second).GetAsync("/v3/workflows/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await app.TryImportAsync(application, "a.b.c")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    public static TheoryData<string, string> AdminCalls => new()
    {
        { "POST", "/admin/v1/applications/" },
        { "GET", $"/admin/v1/applications/{Guid.NewGuid()}/" },
        { "DELETE", $"/admin/v1/applications/{Guid.NewGuid()}/" },
        { "POST", $"/admin/v1/applications/{Guid.NewGuid()}/api-keys/" },
        { "DELETE", $"/admin/v1/applications/{Guid.NewGuid()}/api-keys/{Guid.NewGuid()}/" },
    };

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task MissingAdminKeyIs401(string method, string path)
    {
        var response = await app.Anonymous.SendAsync(Request(method, path, "{\"name\": \"x\", \"privileges\": [\"read:sessions\"]}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task WrongAdminKeyIs401(string method, string path)
    {
        var client = app.CreateAdminClient(GatewayApp.AdminKey + "x");

        var response = await client.SendAsync(Request(method, path, "{\"name\": \"x\", \"privileges\": [\"read:sessions\"]}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ApiKeyIsNotAnAdminKey()
    {
        var application = await app.CreateApplicationAsync();
        var client = app.CreateAdminClient(application.ApiKey);

        var response = await client.GetAsync($"/admin/v1/applications/{application.ApplicationId}/", Ct);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RejectedAdminCallChangesNothing()
    {
        var application = await app.CreateApplicationAsync();
        var client = app.CreateAdminClient("wrong");

        await (await client.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.DeleteAsync($"/admin/v1/applications/{application.ApplicationId}/api-keys/{application.ApiKeyId}/", Ct))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);

        Assert.Equal(HttpStatusCode.OK, (await application.Client.GetAsync("/v3/sessions/", Ct)).StatusCode);
    }

    private async Task<(Guid KeyId, string Key)> CreateKeyAsync(Guid applicationId, params string[] privileges)
    {
        var response = await app.Admin.PostAsync(
            $"/admin/v1/applications/{applicationId}/api-keys/", Body.Json(new JsonObject { ["privileges"] = new JsonArray([.. privileges.Select(p => JsonValue.Create(p))]) }), Ct);
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(privileges, created["privileges"]!.AsArray().Select(p => p!.GetValue<string>()));
        return (created.Id("api_key_id"), created.Str("api_key"));
    }

    private static HttpRequestMessage Request(string method, string path, string body = "{}") =>
        new(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : Body.Json(body) };
}
