using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// Our instruments (API.md, Health and docs), each moved by exactly the calls that cause it: a share that minted a token,
/// an import by its outcome, and the import's duration. In <c>/metrics</c> they are <c>orleansshare_shares_total</c>,
/// <c>orleansshare_imports_total</c> and <c>orleansshare_import_duration_seconds</c>.
/// </summary>
internal sealed class GatewayMetrics : IDisposable
{
    /// <summary>Import outcomes, the values of the <c>outcome</c> label.</summary>
    public static class Outcomes
    {
        public const string Imported = "imported";
        public const string AlreadyImported = "already_imported";
        public const string TokenInvalid = "token_invalid";
        public const string TokenRevoked = "token_revoked";
        public const string WrongApplication = "wrong_application";
        public const string SourceMissing = "source_missing";
        public const string WorkflowMissing = "workflow_missing";
        public const string BadRequest = "bad_request";

        /// <summary>The call failed without an answer of its own (a 503 when the cluster or the database is unavailable).</summary>
        public const string Failed = "failed";
    }

    private static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _shares;
    private readonly Counter<long> _imports;
    private readonly Histogram<double> _importDuration;

    public GatewayMetrics(MeterScope scope)
    {
        _meter = scope.CreateMeter();
        _shares = _meter.CreateCounter<long>("orleansshare.shares", description: "Share tokens minted, by the kind of the shared session.");
        _imports = _meter.CreateCounter<long>("orleansshare.imports", description: "Imports of share tokens, by outcome.");
        _importDuration = _meter.CreateHistogram("orleansshare.import.duration", unit: "s",
            description: "Time the gateway took to answer an import, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    public void Shared(string sessionKind) => _shares.Add(1, new KeyValuePair<string, object?>("session_kind", sessionKind));

    /// <summary>Counts an import answered with <paramref name="outcome"/>, started at <paramref name="startedAt"/> (a Stopwatch timestamp).</summary>
    public void Imported(string outcome, long startedAt)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _imports.Add(1, tag);
        _importDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tag);
    }

    public void Dispose() => _meter.Dispose();
}
