using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansShare.Grains.Common;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Storage.GroupCommit;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// One database (PostgreSQL or SQLite) with its schema and a one-silo cluster whose storage providers all use it:
/// the production registration (group commit, <see cref="StorageNames.Grains"/>), the stock ADO.NET provider, and
/// group-commit providers with small batch bounds. Tests keep apart by using a fresh state name each.
/// </summary>
public sealed class GroupCommitBackend(DatabaseKind kind, Database database, InProcessTestCluster cluster) : IAsyncDisposable
{
    public const string StockName = "stock";
    public const string CountBoundedName = "bounded-count";
    public const string BytesBoundedName = "bounded-bytes";
    public const string UnreachableName = "unreachable";

    /// <summary>Operations in one batch at most, for <see cref="CountBounded"/>.</summary>
    public const int CountBound = 4;

    /// <summary>Bytes in one batch at most, for <see cref="BytesBounded"/>.</summary>
    public const int BytesBound = 8 * 1024;

    public DatabaseKind Kind => kind;

    public Database Database => database;

    private IServiceProvider Services => cluster.Silos[0].ServiceProvider;

    /// <summary>The provider grains use: group commit, as the silo registers it by default.</summary>
    public GroupCommitGrainStorage GroupCommit => (GroupCommitGrainStorage)Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);

    /// <summary>The stock Orleans ADO.NET provider on the same database (<c>Storage__GroupCommit=false</c>).</summary>
    public IGrainStorage Stock => Services.GetRequiredKeyedService<IGrainStorage>(StockName);

    public GroupCommitGrainStorage CountBounded => (GroupCommitGrainStorage)Services.GetRequiredKeyedService<IGrainStorage>(CountBoundedName);

    public GroupCommitGrainStorage BytesBounded => (GroupCommitGrainStorage)Services.GetRequiredKeyedService<IGrainStorage>(BytesBoundedName);

    /// <summary>A group-commit provider whose PostgreSQL server cannot be reached.</summary>
    public GroupCommitGrainStorage Unreachable => (GroupCommitGrainStorage)Services.GetRequiredKeyedService<IGrainStorage>(UnreachableName);

    /// <summary>The rows of one state name, ordered by version then extension.</summary>
    public async Task<IReadOnlyList<StorageRow>> RowsAsync(string stateName)
    {
        await using var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, """
            SELECT grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring,
                   serviceid, payloadbinary, version
            FROM orleansstorage WHERE graintypestring = @State ORDER BY version, grainidextensionstring
            """, ("@State", stateName));
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<StorageRow>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(new StorageRow(
                Number(reader, 0), Number(reader, 1), Number(reader, 2), Number(reader, 3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6),
                reader.IsDBNull(7) ? null : Convert.ToHexString((byte[])reader.GetValue(7)), Number(reader, 8)));
        }

        return rows;
    }

    /// <summary>Deletes every row of one state name.</summary>
    public async Task DeleteRowsAsync(string stateName)
    {
        await using var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, "DELETE FROM orleansstorage WHERE graintypestring = @State", ("@State", stateName));
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Rows of the session index for one session id.</summary>
    public async Task<long> CountIndexedSessionsAsync(Guid sessionId)
    {
        await using var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, "SELECT COUNT(*) FROM session_index WHERE session_id = @Id",
            ("@Id", kind == DatabaseKind.PostgreSql ? sessionId : sessionId.ToString("D", CultureInfo.InvariantCulture)));
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Holds up every write of <paramref name="stateName"/>'s row with extension <paramref name="extension"/> until
    /// the returned handle is disposed: PostgreSQL locks that row (FOR UPDATE) in an open transaction, SQLite takes
    /// the file's write lock (BEGIN IMMEDIATE). A batch writing it waits at the database meanwhile.
    /// </summary>
    public async Task<IAsyncDisposable> HoldWritesAsync(string stateName, string extension)
    {
        var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        DbTransaction transaction;
        if (connection is SqliteConnection sqlite)
        {
            transaction = sqlite.BeginTransaction(deferred: false);
        }
        else
        {
            transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await using var command = Command(connection,
                "SELECT version FROM orleansstorage WHERE graintypestring = @State AND grainidextensionstring = @Extension FOR UPDATE",
                ("@State", stateName), ("@Extension", extension));
            command.Transaction = transaction;
            Assert.NotNull(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }

        return new Hold(connection, transaction);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await cluster.StopAllSilosAsync();
        }
        finally
        {
            await cluster.DisposeAsync();
            await database.DisposeAsync();
        }
    }

    /// <summary>Runs <paramref name="sql"/> (its parameters named, <c>@Service</c> the ServiceId among them).</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, sql, [("@Service", database.ServiceId), .. parameters]);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The first column of every row of <paramref name="sql"/>, as text, in the query's order.</summary>
    public async Task<IReadOnlyList<string>> QueryTextAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, sql, [("@Service", database.ServiceId), .. parameters]);
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static long Number(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private sealed class Hold(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
