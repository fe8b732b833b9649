namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// Base of the PostgreSQL-layer tests: a fresh database and process cluster per test on the shared server, logs in
/// a temp folder per test (kept when the test fails or ORLEANSSHARE_KEEP_TEST_LOGS is set, removed when it passes), and the test's output and token.
/// Subclasses carry <c>[Collection(PostgresCollection.Name)]</c> and <c>[Trait("Layer", "Postgres")]</c>.
/// </summary>
public abstract class PostgresClusterTest(PostgresServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<ProcessCluster> _clusters = [];

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    protected PostgresServer Server => server;

    /// <summary>Time since the test began (for the run times it prints).</summary>
    protected TimeSpan Elapsed => _clock.Elapsed;

    protected ITestOutputHelper Output => output;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected string LogDirectory { get; } = Path.Combine(
        Path.GetTempPath(), "orleansshare-tests", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");

    /// <summary>
    /// A cluster of <paramref name="silos"/> dedicated silos and <paramref name="gateways"/> gateways, the first
    /// <paramref name="cohostedGateways"/> of which also host a silo, on a fresh database; nothing started yet.
    /// </summary>
    protected async Task<ProcessCluster> NewClusterAsync(int silos, int gateways, int cohostedGateways = 0)
    {
        var database = await server.CreateDatabaseAsync(Cancel);
        var cluster = new ProcessCluster(database, Path.Combine(LogDirectory, $"cluster{_clusters.Count + 1}"), silos, gateways, cohostedGateways);
        _clusters.Add(cluster);
        Log($"cluster {cluster.ClusterId}: {silos} silos, {gateways} gateways ({cohostedGateways} hosting a silo); logs in {cluster.LogDirectory}");
        return cluster;
    }

    protected void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(LogDirectory);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cluster in _clusters)
        {
            await cluster.DisposeAsync();
        }

        var keep = Environment.GetEnvironmentVariable("ORLEANSSHARE_KEEP_TEST_LOGS") is { Length: > 0 };
        if (!keep && TestContext.Current.TestState?.Result == TestResult.Passed && Directory.Exists(LogDirectory))
        {
            Directory.Delete(LogDirectory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
