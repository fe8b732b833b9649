using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansShare.Silo.Storage;

/// <summary>
/// The one database a host uses for grain state, clustering (PostgreSQL) and the session index. It hands the
/// Orleans ADO.NET providers their invariant and connection string (or the shared <see cref="DataSource"/>),
/// and opens connections for the schema installer and the index queries.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    /// <summary>The ADO.NET invariant Orleans uses for SQLite; it loads Microsoft.Data.Sqlite.</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>The ADO.NET invariant Orleans uses for PostgreSQL.</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>Seconds a SQLite command waits on a locked database before failing (the busy timeout).</summary>
    private const int SqliteBusyTimeoutSeconds = 30;

    private Database(
        DatabaseKind kind, string serviceId, string connectionString, NpgsqlDataSource? dataSource, NpgsqlDataSource? bookkeeping = null)
    {
        Kind = kind;
        ServiceId = serviceId;
        ConnectionString = connectionString;
        DataSource = dataSource;
        _bookkeeping = bookkeeping;
        Invariant = kind == DatabaseKind.PostgreSql ? PostgreSqlInvariant : SqliteInvariant;
    }

    public DatabaseKind Kind { get; }

    /// <summary>The Orleans ServiceId: the <c>ServiceId</c> of grain state and the <c>service_id</c> of the index.</summary>
    public string ServiceId { get; }

    /// <summary>The connection string the Orleans ADO.NET providers get.</summary>
    public string ConnectionString { get; }

    /// <summary><c>System.Data.SQLite</c> or <c>Npgsql</c>: the invariant for the Orleans ADO.NET options.</summary>
    public string Invariant { get; }

    /// <summary>The data source every PostgreSQL user shares (Orleans providers included); null for SQLite.</summary>
    public NpgsqlDataSource? DataSource { get; }

    /// <summary>PostgreSQL connections whose commits do not wait for the WAL flush (see <see cref="OpenBookkeepingConnectionAsync"/>).</summary>
    private readonly NpgsqlDataSource? _bookkeeping;

    /// <summary>Connections the bookkeeping pool opens at most: the webhook dispatcher's few statements at a time.</summary>
    public const int BookkeepingPoolSize = 4;

    /// <summary>Whether the connection string sets <paramref name="key"/> itself (spaces and case ignored).</summary>
    private static bool Names(string connectionString, string key) =>
        connectionString.Split(';').Any(part =>
            part.Split('=')[0].Replace(" ", "", StringComparison.Ordinal).Trim().Equals(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>A SQLite database file; its folder is created when missing.</summary>
    public static Database ForSqlite(string databaseFilePath, string serviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseFilePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);

        var fullPath = Path.GetFullPath(databaseFilePath);
        var folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = SqliteBusyTimeoutSeconds,
        };
        return new Database(DatabaseKind.Sqlite, serviceId, builder.ConnectionString, dataSource: null);
    }

    /// <summary>
    /// Connections one host opens at most unless the connection string says otherwise. Npgsql's own default (100)
    /// lets a handful of silos and gateways exhaust PostgreSQL's default <c>max_connections</c> (100) under load.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;

    /// <summary>
    /// Statements each connection keeps prepared unless the connection string says otherwise. Every grain read and
    /// write is one of a handful of fixed statements: prepared once per connection, PostgreSQL stops parsing and
    /// planning them on every call (Npgsql's own default is 0, no automatic preparation).
    /// </summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>A PostgreSQL database; one pooled <see cref="NpgsqlDataSource"/> is created for it.</summary>
    public static Database ForPostgreSql(string connectionString, string serviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Names(connectionString, "MaxPoolSize") && !Names(connectionString, "MaximumPoolSize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        if (!Names(connectionString, "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        // No statement of ours or of the Orleans providers changes session state (settings, temp tables, session
        // locks), so a connection back from the pool needs no reset round trip before its next statement.
        if (!Names(connectionString, "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        connectionString = builder.ConnectionString;

        var dataSource = NpgsqlDataSource.Create(connectionString);
        var bookkeeping = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = BookkeepingPoolSize, MinPoolSize = 0 };
        bookkeeping.Options = $"{bookkeeping.Options} -c synchronous_commit=off".Trim();
        return new Database(DatabaseKind.PostgreSql, serviceId, connectionString, dataSource, NpgsqlDataSource.Create(bookkeeping.ConnectionString));
    }

    /// <summary>Opens a connection; the caller disposes it.</summary>
    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        if (DataSource is not null)
        {
            return await DataSource.OpenConnectionAsync(ct);
        }

        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens a connection for bookkeeping that a database crash may undo without losing anything: on PostgreSQL its
    /// commits return before the WAL is flushed (<c>synchronous_commit=off</c>; the WAL writer flushes it within a
    /// fraction of a second, and any later durable commit flushes it first), so they neither wait for the disk nor
    /// queue for the WAL lock beside the grain writes. Only for writes that are redone when lost: a webhook fan-out,
    /// lease or attempt record (a lost one means the event is fanned out again, or delivered again with the same
    /// <c>X-Webhook-Id</c>). SQLite: an ordinary connection.
    /// </summary>
    public async ValueTask<DbConnection> OpenBookkeepingConnectionAsync(CancellationToken ct = default) =>
        _bookkeeping is not null ? await _bookkeeping.OpenConnectionAsync(ct) : await OpenConnectionAsync(ct);

    /// <summary>Runs <c>SELECT 1</c>: true when the database answers, false when it does not (readiness).</summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            var result = await command.ExecuteScalarAsync(ct);
            return Convert.ToInt64(result, CultureInfo.InvariantCulture) == 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
            if (_bookkeeping is not null)
            {
                await _bookkeeping.DisposeAsync();
            }

            return;
        }

        // Pooled SQLite connections keep the file open; release them so the folder can be removed.
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }
}
