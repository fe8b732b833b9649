using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// OpenTelemetry for both hosts: Orleans' meters (<c>Microsoft.Orleans</c>), the .NET runtime's and ours
/// (<see cref="SourceName"/>), and, only when tracing is on, spans from the HTTP request through the grain calls.
/// Exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; the gateway also serves <c>/metrics</c>.
/// </summary>
public static class Telemetry
{
    /// <summary>Our meter and activity source.</summary>
    public const string SourceName = "OrleansShare";

    /// <summary>Orleans' meter (System.Diagnostics.Metrics).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' activity sources: the runtime's calls, and the application's grain calls (activity propagation).</summary>
    public static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    private const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private const string OtlpTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary>
    /// Whether spans are made at all: <c>Telemetry__Tracing</c>, by default on exactly when an OTLP endpoint is
    /// configured. Off, no activity is started and Orleans carries no trace context: a request costs nothing for it.
    /// </summary>
    public static bool TracingEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool?>("Telemetry:Tracing")
        ?? (!string.IsNullOrWhiteSpace(configuration[OtlpEndpoint]) || !string.IsNullOrWhiteSpace(configuration[OtlpTracesEndpoint]));

    /// <summary>Whether an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or its traces-only variant).</summary>
    public static bool OtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[OtlpEndpoint]) || !string.IsNullOrWhiteSpace(configuration[OtlpTracesEndpoint]);

    /// <summary>
    /// Registers OpenTelemetry with the meters and sources both hosts share; <paramref name="metrics"/> and
    /// <paramref name="tracing"/> add a host's own (ASP.NET Core's, the Prometheus exporter).
    /// </summary>
    public static OpenTelemetryBuilder AddOrleansShareTelemetry(
        this IHostApplicationBuilder builder, string serviceName, Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? tracing = null)
    {
        var configuration = builder.Configuration;
        var otlp = OtlpConfigured(configuration);
        var scope = new MeterScope();
        builder.Services.AddSingleton(scope);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m =>
            {
                m.AddMeter(OrleansMeter, SourceName).AddRuntimeInstrumentation();

                // Meters of one host only: ours is made with this host's MeterScope, ASP.NET Core's (and any other made by
                // an IMeterFactory) with this host's factory. Two hosts in one process (tests) make meters of the same
                // names; a provider that took the other's would count its calls, or lose a series when the other stops.
                var own = new OwnMeterFactory();
                m.AddInstrumentation(services => own.Capture(services.GetRequiredService<IMeterFactory>()));
                m.AddView(instrument => own.Admits(instrument.Meter, scope) ? null : MetricStreamConfiguration.Drop);
                metrics?.Invoke(m);
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });

        if (TracingEnabled(configuration))
        {
            otel.WithTracing(t =>
            {
                AddTraceSources(t);
                tracing?.Invoke(t);
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        }

        return otel;
    }

    /// <summary>The activity sources of a request's spans: ours and Orleans' grain calls.</summary>
    public static TracerProviderBuilder AddTraceSources(TracerProviderBuilder tracing) =>
        tracing.AddSource(SourceName).AddSource(OrleansActivitySources);

    /// <summary>Our activity source: spans are made only when tracing is on (a listener is attached).</summary>
    public static readonly ActivitySource Activities = new(SourceName);

    /// <summary>The meter factory of this host, taken when its metrics provider is built.</summary>
    private sealed class OwnMeterFactory
    {
        private IMeterFactory? _factory;

        public OwnMeterFactory Capture(IMeterFactory factory)
        {
            _factory = factory;
            return this;
        }

        public bool Admits(Meter meter, MeterScope scope) => meter.Scope switch
        {
            MeterScope other => ReferenceEquals(other, scope),
            IMeterFactory factory => _factory is null || ReferenceEquals(factory, _factory),
            _ => true,
        };
    }
}
