using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Gateway.Hosting;
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
    public async Task ReadinessTouchesTheDatabaseAtMostOnceASecondWhateverTheProbeRate()
    {
        var probe = app.Services.GetRequiredService<ReadinessProbe>();
        var checksBefore = probe.Checks;

        var clock = Stopwatch.StartNew();
        var statuses = new List<HttpStatusCode>();
        for (var round = 0; round < 5; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.Anonymous.GetAsync("/health/ready", Ct)));
            statuses.AddRange(answers.Select(a => a.StatusCode));
        }

        var elapsed = clock.Elapsed;
        var checks = probe.Checks - checksBefore;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(checks, 0, (long)Math.Ceiling(elapsed.TotalSeconds) + 1);
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
