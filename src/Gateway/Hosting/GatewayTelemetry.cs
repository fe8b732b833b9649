using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// The gateway's telemetry: <see cref="Telemetry"/> plus ASP.NET Core's meters and request spans, and <c>GET /metrics</c>
/// in Prometheus text format (no key, never rate limited; on <c>Metrics__Port</c> only, when that is set).
/// </summary>
internal static class GatewayTelemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        builder.AddOrleansShareTelemetry(
            "orleansshare",
            metrics: m => m
                .AddAspNetCoreInstrumentation()

                // Each scrape reads the counters as they are (the exporter's default keeps an answer for 300 ms).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0),
            tracing: t => t.AddAspNetCoreInstrumentation(o => o.Filter = context =>
                !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(MetricsPath)));
        builder.Services.AddSingleton<GatewayMetrics>();
        return builder;
    }

    public static WebApplication MapGatewayTelemetry(this WebApplication app)
    {
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath);
        if (ExtraPorts.MetricsPort(app.Configuration) is { } port)
        {
            endpoint.RequireHost($"*:{port}");
        }

        return app;
    }
}
