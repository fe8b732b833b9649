using System.Net;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Issue 15, item 2, and API.md's <c>Metrics__Port</c>: with <c>Dashboard__Enabled=true</c> a gateway serves Orleans'
/// dashboard on <c>Dashboard__Port</c> only, and with <c>Metrics__Port</c> set, <c>/metrics</c> on that port only.
/// </summary>
public sealed class SeparatePortsTests : IAsyncLifetime
{
    private const int DashboardPort = 18081;
    private const int MetricsPort = 19464;

    private readonly GatewayApp _app = GatewayApp.WithSettings(new Dictionary<string, string>
    {
        ["Dashboard:Enabled"] = "true",
        ["Dashboard:Port"] = DashboardPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Metrics:Port"] = MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task TheDashboardAnswersOnItsOwnPortOnly()
    {
        var dashboard = _app.CreateDefaultClient(new Uri($"http://localhost:{DashboardPort}/"));
        var api = _app.CreateDefaultClient(new Uri("http://localhost:8080/"));

        var page = await dashboard.GetAsync("/dashboard/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("html", page.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var stats = await dashboard.GetAsync("/dashboard/ClusterStats", Ct);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Contains("\"exceptionCount\"", await stats.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/dashboard/", Ct)).StatusCode);
    }

    [Fact]
    public async Task MetricsAnswerOnTheMetricsPortOnly()
    {
        var metrics = _app.CreateDefaultClient(new Uri($"http://localhost:{MetricsPort}/"));
        var api = _app.CreateDefaultClient(new Uri("http://localhost:8080/"));

        var scrape = await metrics.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("orleans_", await scrape.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/metrics", Ct)).StatusCode);
    }
}

/// <summary>Without <c>Dashboard__Enabled</c> no dashboard is served, on any port.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DashboardOffByDefaultTests(GatewayApp app)
{
    [Fact]
    public async Task NoDashboardIsServed()
    {
        var client = app.CreateDefaultClient(new Uri("http://localhost:8081/"));

        var response = await client.GetAsync("/dashboard/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
