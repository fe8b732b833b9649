using System.Diagnostics.Metrics;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// One host's scope of its <see cref="Telemetry.SourceName"/> meter: the host's metrics provider reads the instruments
/// of this scope only, never those of another host in the same process.
/// </summary>
public sealed class MeterScope
{
    /// <summary>A meter of <see cref="Telemetry.SourceName"/> in this scope; the caller disposes it.</summary>
    public Meter CreateMeter() => new(new MeterOptions(Telemetry.SourceName) { Scope = this });
}
