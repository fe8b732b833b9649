using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Conventions: body limits, ids in paths, trailing slashes, errors as problem details, keys stored hashed.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConventionTests(GatewayApp app)
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ImportBodyOverOneMebibyteIs413(bool sendLength)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var response = await partner.Client.PostAsync(
            "/v3/session/import-shared/", Padded($"{{\"share_token\": \"{token}\", \"padding\": \"", MiB + 10, sendLength), Ct);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await app.CountSessionsAsync(partner));
        await app.ImportAsync(partner, token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ShareBodyOverOneMebibyteIs413(bool sendLength)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await source.Client.PostAsync(
            $"/v3/session/{sessionId}/share/", Padded($"{{\"for_application_id\": \"{partner.ApplicationId}\", \"padding\": \"", MiB + 10, sendLength), Ct);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.DoesNotContain("shared", await app.GetActionsAsync(source, sessionId));
    }

    [Fact]
    public async Task BodyJustUnderOneMebibyteIsAccepted()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateBareApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await source.Client.PostAsync(
            $"/v3/session/{sessionId}/share/", Padded($"{{\"for_application_id\": \"{partner.ApplicationId}\", \"padding\": \"", MiB - 200, sendLength: true), Ct);

        await response.AssertJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task DecisionOfTwoMebibytesIsAcceptedAndKeptWhole()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.KycWorkflowId);
        var ocrText = new string('ñ', MiB);
        var section = $"[{{\"status\": \"Approved\", \"ocr_text\": \"{ocrText}\"}}]";
        var body = Decisions.Build("Approved", [new("id_verifications", section)]);
        Assert.True(Encoding.UTF8.GetByteCount(body) > 2 * MiB);

        var response = await application.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(body), Ct);

        await response.AssertJsonAsync(HttpStatusCode.OK);
        var document = await app.GetDecisionAsync(application, sessionId);
        Assert.Equal(ocrText, document["id_verifications"]![0]!.Str("ocr_text"));
    }

    [Fact]
    public async Task DecisionOver16MebibytesIs413AndChangesNothing()
    {
        var application = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(application, application.KycWorkflowId);

        var response = await application.Client.PutAsync(
            $"/v3/session/{sessionId}/decision/", Padded("{\"status\": \"Approved\", \"padding\": \"", (16 * MiB) + 10, sendLength: true), Ct);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("Not Started", (await app.GetDecisionAsync(application, sessionId)).Str("status"));
    }

    [Fact]
    public async Task DeeplyNestedBodyIs400NotA500()
    {
        var application = await app.CreateApplicationAsync();
        var nested = new string('[', 5000) + new string(']', 5000);

        var response = await application.Client.PostAsync("/v3/session/", Body.Json($"{{\"metadata\": {nested}}}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BodyThatIsNotUtf8Is400NotA500()
    {
        var application = await app.CreateApplicationAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"vendor_data\": \"ab\"}");
        bytes[17] = 0xFF;
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await application.Client.PostAsync("/v3/session/", content, Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await app.CountSessionsAsync(application));
    }

    [Theory]
    [InlineData("GET", "/v3/session/not-a-uuid/decision/")]
    [InlineData("GET", "/v3/session/12345/decision/")]
    [InlineData("GET", "/v3/session/0f8fad5bd9cb469fa16570867728950e/decision/")]
    [InlineData("GET", "/v3/session/{0f8fad5b-d9cb-469f-a165-70867728950e}/decision/")]
    [InlineData("GET", "/v3/session/0f8fad5b-d9cb-469f-a165-70867728950e0/decision/")]
    [InlineData("POST", "/v3/session/abc/share/")]
    [InlineData("PUT", "/v3/session/abc/decision/")]
    [InlineData("DELETE", "/v3/session/abc/delete/")]
    [InlineData("GET", "/v3/sessions/abc/reviews/")]
    [InlineData("GET", "/v3/workflows/abc/")]
    [InlineData("PUT", "/v3/trust-policies/abc/")]
    public async Task MalformedUuidInAPathIs404(string method, string path)
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.SendAsync(
            new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : Body.Json("{}") }, Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MalformedUuidInAnAdminPathIs404()
    {
        var response = await app.Admin.GetAsync("/admin/v1/applications/not-a-uuid/", Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UnknownPathIs404ProblemDetails()
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.GetAsync("/v3/nothing-here/", Ct);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WrongMethodIsAProblemDetails()
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.GetAsync("/v3/session/import-shared/", Ct);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((int)response.StatusCode is 404 or 405, $"Got {(int)response.StatusCode}");
    }

    [Fact]
    public async Task EveryPathWorksWithoutItsTrailingSlash()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var ct = Ct;

        var created = await (await source.Client.PostAsync("/v3/session", Body.Json(new JsonObject
        {
            ["workflow_id"] = source.KycWorkflowId.ToString(),
            ["vendor_data"] = "no-slash-user",
        }), ct)).AssertJsonAsync(HttpStatusCode.Created);
        var sessionId = created.Id("session_id");
        await (await source.Client.PutAsync($"/v3/session/{sessionId}/decision", Body.Json(Decisions.Verified(SessionKind.User)), ct))
            .AssertJsonAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync($"/v3/session/{sessionId}/decision", ct)).AssertJsonAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync($"/v3/sessions/{sessionId}/reviews", ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync("/v3/sessions", ct)).AssertJsonAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync("/v3/users/no-slash-user", ct)).AssertJsonAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync("/v3/workflows", ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        await (await source.Client.GetAsync($"/v3/workflows/{source.KycWorkflowId}", ct)).AssertJsonAsync(HttpStatusCode.OK);
        var shared = await (await source.Client.PostAsync($"/v3/session/{sessionId}/share", Body.Json(new JsonObject
        {
            ["for_application_id"] = partner.ApplicationId.ToString(),
        }), ct)).AssertJsonAsync(HttpStatusCode.Created);
        await (await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}", Body.Json("{\"trust_review\": false}"), ct))
            .AssertJsonAsync(HttpStatusCode.OK);
        await (await partner.Client.PostAsync("/v3/session/import-shared", Body.Json(new JsonObject
        {
            ["share_token"] = shared.Str("share_token"),
        }), ct)).AssertJsonAsync(HttpStatusCode.Created);
        await (await app.Admin.GetAsync($"/admin/v1/applications/{partner.ApplicationId}", ct)).AssertJsonAsync(HttpStatusCode.OK);
        await (await app.Admin.PostAsync("/admin/v1/applications", Body.Json("{\"name\": \"no slash\"}"), ct)).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await source.Client.DeleteAsync($"/v3/session/{sessionId}/delete", ct)).StatusCode);
    }

    [Fact]
    public async Task ApiKeysAreNotStoredInTheDataDirectory()
    {
        var application = await app.CreateApplicationAsync();
        await app.CreateVerifiedSessionAsync(application);

        foreach (var file in Directory.EnumerateFiles(app.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory, Ct);
            var text = Encoding.UTF8.GetString(memory.ToArray());
            Assert.DoesNotContain(application.ApiKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(application.ApiKey[4..], text, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayApp.AdminKey, text, StringComparison.Ordinal);
        }
    }

    /// <summary>A JSON body <paramref name="prefix"/> + padding + <c>"}</c> of about <paramref name="totalBytes"/>, with or without a Content-Length.</summary>
    private static HttpContent Padded(string prefix, int totalBytes, bool sendLength)
    {
        var text = prefix + new string('x', Math.Max(0, totalBytes - prefix.Length - 2)) + "\"}";
        var bytes = Encoding.UTF8.GetBytes(text);
        HttpContent content = sendLength ? new ByteArrayContent(bytes) : new UnsizedContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A body sent without Content-Length, so the server must count what it reads.</summary>
    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            try
            {
                for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
                {
                    await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The server answered 413 without reading the rest.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
