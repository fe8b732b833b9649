using System.Diagnostics;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class SchemaTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task ThreeSilosStartingAtOnceOnAnEmptyDatabaseAllJoinAndASecondStartChangesNothing()
    {
        var clock = Stopwatch.StartNew();
        var cluster = await NewClusterAsync(silos: 3, gateways: 1);
        var scripts = Directory.GetFiles(Path.Combine(ProcessCluster.RepositoryRoot, "deploy", "sql", "postgresql"), "*.sql")
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        for (var i = 0; i < 3; i++)
        {
            cluster.StartSilo(i);
        }

        await cluster.WaitForActiveSilosAsync(3, Cancel);
        cluster.StartGateway(0);
        await cluster.WaitReadyAsync(0, expectedSilos: 3, Cancel);
        var first = await SchemaSnapshot.TakeAsync(cluster.ConnectionString, Cancel);
        Log($"first start: 3 silos Active, gateway ready after {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal([.. Enumerable.Range(0, 3).Select(cluster.SiloPort).Order()], await cluster.ActiveSiloPortsAsync(Cancel));
        Assert.Equal(scripts, first.Migrations.Select(row => row.Split(" | ")[0]));
        Assert.NotEmpty(first.Queries);
        Assert.Equal(3, first.Triggers.Count); // on the storage table: sessions (index, redemptions, ledger, events), share tokens, applications (webhook subscribers)

        await cluster.StopAllAsync();
        Assert.Empty(await cluster.ActiveSiloPortsAsync(Cancel));
        for (var i = 0; i < 3; i++)
        {
            cluster.StartSilo(i);
        }

        await cluster.WaitForActiveSilosAsync(3, Cancel);
        cluster.StartGateway(0);
        await cluster.WaitReadyAsync(0, expectedSilos: 3, Cancel);
        var second = await SchemaSnapshot.TakeAsync(cluster.ConnectionString, Cancel);
        Log($"second start: 3 silos Active, gateway ready; total {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(first.Migrations, second.Migrations);
        Assert.Equal(first.Queries, second.Queries);
        Assert.Equal(first.Relations, second.Relations);
        Assert.Equal(first.Columns, second.Columns);
        Assert.Equal(first.Indexes, second.Indexes);
        Assert.Equal(first.Triggers, second.Triggers);
        Assert.Equal(first.Functions, second.Functions);
        Log($"schema unchanged by the second start ({first.Migrations.Count} migrations, {first.Queries.Count} queries, {first.Relations.Count} relations, " +
            $"{first.Triggers.Count} triggers, {first.Functions.Count} functions); test run time {Elapsed.TotalSeconds:F1} s");
    }
}
