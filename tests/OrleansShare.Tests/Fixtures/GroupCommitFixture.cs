using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Storage.GroupCommit;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// The group-commit provider's test bed: a <see cref="GroupCommitBackend"/> on a fresh PostgreSQL database of the
/// shared server and one on a SQLite file in a temp folder. Each silo also has a group-commit provider on a PostgreSQL
/// address where no server listens.
/// </summary>
public sealed class GroupCommitFixture(PostgresServer server) : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-groupcommit-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<DatabaseKind, GroupCommitBackend> _backends = [];
    private readonly List<Database> _unreachable = [];

    public GroupCommitBackend this[DatabaseKind kind] => _backends[kind];

    public async ValueTask InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        await StartAsync(DatabaseKind.PostgreSql, serviceId => Database.ForPostgreSql(connectionString, serviceId));
        await StartAsync(DatabaseKind.Sqlite, serviceId => Database.ForSqlite(Path.Combine(_directory, "orleansshare.db"), serviceId));
    }

    private async Task StartAsync(DatabaseKind kind, Func<string, Database> open)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        var database = open(builder.Options.ServiceId);
        var unreachable = Database.ForPostgreSql($"Host=127.0.0.1;Port={UnusedPort()};Username=postgres;Timeout=2", builder.Options.ServiceId);
        _unreachable.Add(unreachable);
        await SchemaInstaller.ApplyAsync(database, NullLogger.Instance, TestContext.Current.CancellationToken);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOrleansShareStorage(database);
            silo.AddStockGrainStorage(GroupCommitBackend.StockName, database);
            silo.AddGroupCommitGrainStorage(GroupCommitBackend.CountBoundedName, database,
                new GroupCommitOptions { MaxBatchOperations = GroupCommitBackend.CountBound });
            silo.AddGroupCommitGrainStorage(GroupCommitBackend.BytesBoundedName, database,
                new GroupCommitOptions { MaxBatchBytes = GroupCommitBackend.BytesBound });
            silo.AddGroupCommitGrainStorage(GroupCommitBackend.UnreachableName, unreachable);
        });
        var cluster = builder.Build();
        _backends[kind] = new GroupCommitBackend(kind, database, cluster);
        await cluster.DeployAsync();
    }

    /// <summary>A local port nothing listens on (taken from the OS, then released).</summary>
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync();
        }

        foreach (var database in _unreachable)
        {
            await database.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
