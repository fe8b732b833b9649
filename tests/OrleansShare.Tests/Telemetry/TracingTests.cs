using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OpenTelemetry.Trace;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Telemetry;

/// <summary>
/// Traces (issue 15): with tracing on, a share and an import each make a span whose parent is the HTTP request's span,
/// and the grain calls they make are spans under it (Orleans' activity propagation), exported here to memory.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly GatewayApp _app;

    public TracingTests()
    {
        var exported = new ExportedSpans(_spans);
        _app = GatewayApp.WithServices(
            new Dictionary<string, string> { ["Telemetry:Tracing"] = "true" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported)));
    }

    public ValueTask InitializeAsync() => _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ShareAndImportAreSpansOfTheHttpRequestWithTheirGrainCallsBeneath()
    {
        var source = await _app.CreateApplicationAsync();
        var partner = await _app.CreateApplicationAsync();
        var sessionId = await _app.CreateVerifiedSessionAsync(source);

        var shareTrace = ActivityTraceId.CreateRandom();
        var share = await SendAsync(source, $"/v3/session/{sessionId}/share/", new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() }, shareTrace);
        Assert.Equal(HttpStatusCode.Created, share.StatusCode);
        var token = (await share.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)) is var json
            ? JsonNode.Parse(json)!["share_token"]!.GetValue<string>()
            : null;

        var importTrace = ActivityTraceId.CreateRandom();
        var import = await SendAsync(partner, "/v3/session/import-shared/", new JsonObject { ["share_token"] = token }, importTrace);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);

        await AssertSpanOfRequestAsync(shareTrace, "share", "ISessionGrain");
        await AssertSpanOfRequestAsync(importTrace, "import", "IShareTokenGrain");
    }

    /// <summary>
    /// In <paramref name="trace"/>: the HTTP server span, our <paramref name="operation"/> span as its child, and a grain
    /// call on <paramref name="grain"/> beneath that.
    /// </summary>
    private async Task AssertSpanOfRequestAsync(ActivityTraceId trace, string operation, string grain)
    {
        // Spans are exported as they end, and the request's own span ends just after its answer was sent: wait for it.
        var deadline = Stopwatch.StartNew();
        List<Activity> spans;
        Activity? request;
        do
        {
            spans = _spans.Where(s => s.TraceId == trace).ToList();
            request = spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore");
            if (request is not null)
            {
                break;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        while (deadline.Elapsed < TimeSpan.FromSeconds(10));

        var names = string.Join(", ", spans.Select(s => $"{s.Source.Name}:{s.DisplayName}"));
        Assert.True(request is not null, $"no HTTP request span in the trace; its spans: {names}");
        var own = Assert.Single(spans, s => s.Source.Name == "OrleansShare" && s.DisplayName == operation);
        Assert.Equal(request.SpanId, own.ParentSpanId);
        Assert.True(
            spans.Any(s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)
                && s.DisplayName.Contains(grain, StringComparison.Ordinal)
                && DescendsFrom(s, own, spans)),
            $"no grain call on {grain} beneath the {operation} span; the trace's spans: {names}");
    }

    private static bool DescendsFrom(Activity span, Activity ancestor, List<Activity> spans)
    {
        for (var current = span; current is not null; current = spans.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    private static Task<HttpResponseMessage> SendAsync(TestApplication app, string path, JsonObject body, ActivityTraceId trace)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Body.Json(body) };
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        return app.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A collection the in-memory exporter adds to (it takes an <see cref="ICollection{T}"/>).</summary>
    private sealed class ExportedSpans(ConcurrentQueue<Activity> spans) : ICollection<Activity>
    {
        public int Count => spans.Count;

        public bool IsReadOnly => false;

        public void Add(Activity item) => spans.Enqueue(item);

        public void Clear() => throw new NotSupportedException();

        public bool Contains(Activity item) => spans.Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => spans.CopyTo(array, arrayIndex);

        public bool Remove(Activity item) => throw new NotSupportedException();

        public IEnumerator<Activity> GetEnumerator() => spans.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
