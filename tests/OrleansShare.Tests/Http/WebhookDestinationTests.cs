using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Webhooks: the destination endpoints, their validation, and the delivery log's 404s.</summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookDestinationTests(GatewayApp app)
{
    private const string Path = "/v3/webhook/destinations/";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The body Didit's MCP server sends.</summary>
    private static JsonObject McpBody(string url = "https://hooks.example.com/didit") => new()
    {
        ["label"] = "Partner sync",
        ["url"] = url,
        ["enabled"] = true,
        ["webhook_version"] = "v2",
        ["subscribed_events"] = new JsonArray("status.updated"),
    };

    [Fact]
    public async Task CreateWithTheMcpBodyIs201WithTheSecretShownOnce()
    {
        var partner = await app.CreateBareApplicationAsync();

        var response = await partner.Client.PostAsync(Path, Body.Json(McpBody()), Ct);

        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        var id = created.Id("destination_id");
        Assert.Equal($"/v3/webhook/destinations/{id}/", response.Headers.Location?.OriginalString);
        Assert.Equal("Partner sync", created.Str("label"));
        Assert.Equal("https://hooks.example.com/didit", created.Str("url"));
        Assert.True(created["enabled"]!.GetValue<bool>());
        Assert.Equal("v2", created.Str("webhook_version"));
        Assert.Equal(["status.updated"], created["subscribed_events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Matches("^[0-9a-f]{64}$", created.Str("secret_shared_key"));

        var read = await (await partner.Client.GetAsync($"{Path}{id}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Null(read["secret_shared_key"]);
        Assert.Equal("Partner sync", read.Str("label"));
        var list = await (await partner.Client.GetAsync(Path, Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(id.ToString(), Assert.Single(list)!.Str("destination_id"));
        Assert.Null(list[0]!["secret_shared_key"]);
    }

    [Fact]
    public async Task CreateWithOnlyAUrlTakesTheDefaults()
    {
        var partner = await app.CreateBareApplicationAsync();

        var created = await (await partner.Client.PostAsync(Path, Body.Json("""{"url": "http://hooks.example.com/x"}"""), Ct))
            .AssertJsonAsync(HttpStatusCode.Created);

        Assert.Equal("v3", created.Str("webhook_version"));
        Assert.True(created["enabled"]!.GetValue<bool>());
        Assert.Equal(["status.updated"], created["subscribed_events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("", created.Str("label"));
    }

    [Theory]
    [InlineData("{}", "url")]
    [InlineData("""{"url": null}""", "url")]
    [InlineData("""{"url": 42}""", "url")]
    [InlineData("""{"url": "not a url"}""", "url")]
    [InlineData("""{"url": "ftp://hooks.example.com/x"}""", "url")]
    [InlineData("""{"url": "/relative/path"}""", "url")]
    [InlineData("""{"url": "https://hooks.example.com/", "enabled": "yes"}""", "enabled")]
    [InlineData("""{"url": "https://hooks.example.com/", "webhook_version": "v4"}""", "webhook_version")]
    [InlineData("""{"url": "https://hooks.example.com/", "webhook_version": 3}""", "webhook_version")]
    [InlineData("""{"url": "https://hooks.example.com/", "subscribed_events": []}""", "subscribed_events")]
    [InlineData("""{"url": "https://hooks.example.com/", "subscribed_events": "status.updated"}""", "subscribed_events")]
    [InlineData("""{"url": "https://hooks.example.com/", "subscribed_events": ["session.deleted"]}""", "subscribed_events")]
    [InlineData("""{"url": "https://hooks.example.com/", "subscribed_events": [1]}""", "subscribed_events")]
    [InlineData("""{"url": "https://hooks.example.com/", "label": 7}""", "label")]
    [InlineData("""{"url": "https://hooks.example.com/", "label": "nul\u0000"}""", "label")]
    public async Task InvalidCreateBodiesAre400AndCreateNothing(string body, string field)
    {
        var partner = await app.CreateBareApplicationAsync();

        var response = await partner.Client.PostAsync(Path, Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
        var list = await (await partner.Client.GetAsync(Path, Ct)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Empty(list);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task BodyThatIsNotAJsonObjectIs400(string body)
    {
        var partner = await app.CreateBareApplicationAsync();

        var response = await partner.Client.PostAsync(Path, Body.Json(body), Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PatchChangesOnlyTheFieldsGiven()
    {
        var partner = await app.CreateBareApplicationAsync();
        var id = (await (await partner.Client.PostAsync(Path, Body.Json(McpBody()), Ct)).AssertJsonAsync(HttpStatusCode.Created)).Id("destination_id");

        var patched = await (await partner.Client.PatchAsync($"{Path}{id}/", Body.Json("""{"enabled": false, "label": "Paused"}"""), Ct))
            .AssertJsonAsync(HttpStatusCode.OK);

        Assert.False(patched["enabled"]!.GetValue<bool>());
        Assert.Equal("Paused", patched.Str("label"));
        Assert.Equal("https://hooks.example.com/didit", patched.Str("url"));
        Assert.Equal("v2", patched.Str("webhook_version"));
        Assert.Null(patched["secret_shared_key"]);
        var read = await (await partner.Client.GetAsync($"{Path}{id}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(read["enabled"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""{"url": "gopher://x"}""", "url")]
    [InlineData("""{"webhook_version": "v9"}""", "webhook_version")]
    [InlineData("""{"subscribed_events": []}""", "subscribed_events")]
    [InlineData("""{"enabled": 0}""", "enabled")]
    public async Task InvalidPatchIs400AndChangesNothing(string body, string field)
    {
        var partner = await app.CreateBareApplicationAsync();
        var id = (await (await partner.Client.PostAsync(Path, Body.Json(McpBody()), Ct)).AssertJsonAsync(HttpStatusCode.Created)).Id("destination_id");

        var response = await partner.Client.PatchAsync($"{Path}{id}/", Body.Json(body), Ct);

        await response.AssertValidationProblemAsync(field);
        var read = await (await partner.Client.GetAsync($"{Path}{id}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(McpBody()["url"]!.GetValue<string>(), read.Str("url"));
        Assert.True(read["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task DeleteIs204ThenEveryCallOnItIs404()
    {
        var partner = await app.CreateBareApplicationAsync();
        var id = (await (await partner.Client.PostAsync(Path, Body.Json(McpBody()), Ct)).AssertJsonAsync(HttpStatusCode.Created)).Id("destination_id");

        var deleted = await partner.Client.DeleteAsync($"{Path}{id}/", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await partner.Client.GetAsync($"{Path}{id}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await partner.Client.PatchAsync($"{Path}{id}/", Body.Json("""{"enabled": true}"""), Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await partner.Client.DeleteAsync($"{Path}{id}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await partner.Client.GetAsync($"{Path}{id}/deliveries/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await partner.Client.GetAsync(Path, Ct)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task AnotherApplicationsDestinationIs404()
    {
        var owner = await app.CreateBareApplicationAsync();
        var stranger = await app.CreateBareApplicationAsync();
        var id = (await (await owner.Client.PostAsync(Path, Body.Json(McpBody()), Ct)).AssertJsonAsync(HttpStatusCode.Created)).Id("destination_id");

        await (await stranger.Client.GetAsync($"{Path}{id}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PatchAsync($"{Path}{id}/", Body.Json("""{"enabled": false}"""), Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.DeleteAsync($"{Path}{id}/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.GetAsync($"{Path}{id}/deliveries/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await owner.Client.GetAsync($"{Path}{id}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MalformedIdInThePathIs404()
    {
        var partner = await app.CreateBareApplicationAsync();

        await (await partner.Client.GetAsync($"{Path}not-a-uuid/", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheTwentyFirstDestinationIs409()
    {
        var partner = await app.CreateBareApplicationAsync();
        for (var i = 0; i < 20; i++)
        {
            await (await partner.Client.PostAsync(Path, Body.Json(McpBody($"https://hooks.example.com/{i}")), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        }

        var response = await partner.Client.PostAsync(Path, Body.Json(McpBody("https://hooks.example.com/21")), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(20, (await (await partner.Client.GetAsync(Path, Ct)).AssertJsonArrayAsync(HttpStatusCode.OK)).Count);
    }

    [Fact]
    public async Task WithoutTheNeededPrivilegeOrKeyTheCallsAreRefused()
    {
        var anonymous = await app.Anonymous.PostAsync(Path, Body.Json(McpBody()), Ct);

        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DeliveryLogOfANewDestinationIsAnEmptyPage()
    {
        var partner = await app.CreateBareApplicationAsync();
        var id = (await (await partner.Client.PostAsync(Path, Body.Json(McpBody()), Ct)).AssertJsonAsync(HttpStatusCode.Created)).Id("destination_id");

        var page = await (await partner.Client.GetAsync($"{Path}{id}/deliveries/", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal(0, page["count"]!.GetValue<long>());
        Assert.Empty(page["results"]!.AsArray());
        await (await partner.Client.GetAsync($"{Path}{id}/deliveries/?limit=0", Ct)).AssertValidationProblemAsync("limit");
    }

    [Theory]
    [InlineData("http://localhost/hook")]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://10.1.2.3/hook")]
    public async Task EmbeddedModeAllowsPrivateAddressesForLocalTrials(string url)
    {
        var partner = await app.CreateBareApplicationAsync();

        var response = await partner.Client.PostAsync(Path, Body.Json(McpBody(url)), Ct);

        await response.AssertJsonAsync(HttpStatusCode.Created);
    }
}
