using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, Health and docs: probes and the OpenAPI document answer without a key.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HealthAndDocsTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task ProbesAnswer200(string path)
    {
        var response = await app.Anonymous.GetAsync(path, Ct);

        var body = await response.AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(body.Str("status")));
    }

    [Fact]
    public async Task ReadinessCountsTheSilo()
    {
        var body = await (await app.Anonymous.GetAsync("/health/ready", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal("ready", body.Str("status"));
        Assert.True(body["silos"]!.GetValue<int>() >= 1);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheApi()
    {
        var response = await app.Anonymous.GetAsync("/openapi/v1.json", Ct);

        var document = await response.AssertJsonAsync(HttpStatusCode.OK);
        Assert.StartsWith("3.", document.Str("openapi"), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject().ToDictionary(p => p.Key.TrimEnd('/'), p => p.Value, StringComparer.Ordinal);
        Assert.Contains("/v3/session/import-shared", paths.Keys);
        Assert.Contains("/v3/session/{sessionId}/share", paths.Keys);
        Assert.Contains("/v3/session/{sessionId}/decision", paths.Keys);
        Assert.Contains("/v3/sessions", paths.Keys);
        Assert.Contains("/v3/workflows", paths.Keys);
        Assert.Contains("/v3/trust-policies/{sourceApplicationId}", paths.Keys);
        Assert.Contains("/admin/v1/applications", paths.Keys);
        Assert.IsType<JsonObject>(paths["/v3/session/import-shared"]!["post"]);
        Assert.IsType<JsonObject>(paths["/v3/session/{sessionId}/decision"]!["put"]);
    }

    [Fact]
    public async Task InteractiveApiPageIsServed()
    {
        var response = await app.Anonymous.GetAsync("/scalar/v1", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
