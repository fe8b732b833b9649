using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Telemetry;

/// <summary>
/// API.md, Health and docs: <c>GET /metrics</c> answers Prometheus text without a key, with Orleans', ASP.NET Core's and
/// the runtime's meters and ours, each of ours moved by exactly the calls that cause it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class MetricsTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MetricsAnswerWithoutAKeyWithOrleansAspNetCoreRuntimeAndOurMeters()
    {
        // One request first, so that ASP.NET Core's request duration has a point.
        (await app.Anonymous.GetAsync("/health/live", Ct)).EnsureSuccessStatusCode();

        var response = await app.Anonymous.GetAsync("/metrics", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Matches(new Regex("^orleans_", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("^http_server_request_duration_seconds_bucket", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("^dotnet_gc_", RegexOptions.Multiline), text);
        Assert.Contains("# TYPE orleansshare_import_duration_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TracingIsOffUnlessConfigured()
    {
        // Neither Telemetry__Tracing nor an OTLP endpoint: no tracer provider, so no request pays for a span.
        Assert.Null(app.Services.GetService<OpenTelemetry.Trace.TracerProvider>());
        Assert.NotNull(app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }

    [Fact]
    public async Task CountersMoveByExactlyTheCallsMade()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var other = await app.CreateApplicationAsync();
        var before = await ScrapeAsync();

        const int userShares = 3;
        const int businessShares = 2;
        var tokens = new List<string>();
        for (var i = 0; i < userShares; i++)
        {
            tokens.Add(await app.ShareAsync(source, await app.CreateVerifiedSessionAsync(source, SessionKind.User), partner.ApplicationId));
        }

        for (var i = 0; i < businessShares; i++)
        {
            tokens.Add(await app.ShareAsync(source, await app.CreateVerifiedSessionAsync(source, SessionKind.Business), partner.ApplicationId));
        }

        // A share refused (the session is not finished) counts nothing.
        var unfinished = await app.CreateSessionAsync(source, source.KycWorkflowId);
        var refused = await app.TryShareAsync(source, unfinished, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        foreach (var token in tokens)
        {
            await app.ImportAsync(partner, token);
        }

        const int repeats = 2;
        for (var i = 0; i < repeats; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await app.TryImportAsync(partner, tokens[i])).StatusCode);
        }

        const int wrongApplication = 1;
        var stray = await app.ShareAsync(source, await app.CreateVerifiedSessionAsync(source), partner.ApplicationId);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.TryImportAsync(other, stray)).StatusCode);

        const int invalid = 2;
        for (var i = 0; i < invalid; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.TryImportAsync(partner, $"not-a-token-{i}")).StatusCode);
        }

        const int badRequests = 1;
        var bad = await partner.Client.PostAsync("/v3/session/import-shared/", Body.Json(new JsonObject { ["trust_review"] = "yes" }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var after = await ScrapeAsync();
        double Moved(string name, params (string Name, string Value)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);

        Assert.Equal(userShares + 1, Moved("orleansshare_shares_total", ("session_kind", "user")));
        Assert.Equal(businessShares, Moved("orleansshare_shares_total", ("session_kind", "business")));
        Assert.Equal(tokens.Count, Moved("orleansshare_imports_total", ("outcome", "imported")));
        Assert.Equal(repeats, Moved("orleansshare_imports_total", ("outcome", "already_imported")));
        Assert.Equal(wrongApplication, Moved("orleansshare_imports_total", ("outcome", "wrong_application")));
        Assert.Equal(invalid, Moved("orleansshare_imports_total", ("outcome", "token_invalid")));
        Assert.Equal(badRequests, Moved("orleansshare_imports_total", ("outcome", "bad_request")));
        var imports = tokens.Count + repeats + wrongApplication + invalid + badRequests;
        Assert.Equal(imports, Moved("orleansshare_imports_total"));
        Assert.Equal(imports, Moved("orleansshare_import_duration_seconds_count"));
    }

    [Fact]
    public async Task TheGrafanaDashboardQueriesMetricsTheGatewayServes()
    {
        // One share and one import, so that every series of ours has a point.
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        await app.ImportAsync(partner, await app.ShareAsync(source, await app.CreateVerifiedSessionAsync(source), partner.ApplicationId));
        var served = (await ScrapeAsync()).Names();

        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(
            Path.Combine(ProcessCluster.RepositoryRoot, "deploy", "grafana", "orleansshare.json"), Ct))!;
        var queried = dashboard["panels"]!.AsArray()
            .SelectMany(panel => panel!["targets"]!.AsArray().Select(t => t!["expr"]!.GetValue<string>()))
            .SelectMany(expr => MetricName().Matches(expr).Select(m => m.Value))
            .Where(name => !name.StartsWith("orleansshare_webhook_deliveries", StringComparison.Ordinal)) // served once a delivery is attempted
            .ToHashSet();

        Assert.Contains("orleansshare_imports_total", queried);
        Assert.All(queried, name => Assert.Contains(name, served));
    }

    [GeneratedRegex(@"\b(orleansshare|orleans|http_server|dotnet|kestrel)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    private async Task<Scrape> ScrapeAsync()
    {
        var response = await app.Anonymous.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new Scrape(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>One Prometheus text answer.</summary>
    private sealed partial class Scrape(string text)
    {
        /// <summary>The sum of every series of <paramref name="name"/> that has <paramref name="labels"/> (and any others).</summary>
        public double Sum(string name, params (string Name, string Value)[] labels) => text.Split('\n')
            .Select(line => Series().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name
                && labels.All(l => m.Groups["labels"].Value.Split(',').Contains($"{l.Name}=\"{l.Value}\"")))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

        /// <summary>The names of every series, as queried (with their <c>_bucket</c>, <c>_count</c>, <c>_sum</c>).</summary>
        public HashSet<string> Names() => text.Split('\n')
            .Select(line => Series().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["name"].Value)
            .ToHashSet();

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)")]
        private static partial Regex Series();
    }
}
