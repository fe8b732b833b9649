using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Schema;

/// <summary>
/// Applies the SQL scripts of <c>deploy/sql/&lt;dialect&gt;</c> (embedded as
/// <c>OrleansShare.Schema.&lt;dialect&gt;/&lt;file&gt;.sql</c>) that the database has not seen yet, in file-name
/// order. Each script runs in one transaction together with its row in <c>orleansshare_schema_migrations</c>, so
/// a script is either applied and recorded or not at all. Hosts call this on start; running it again, or from
/// several processes at once, changes nothing: PostgreSQL serialises installers with a transaction-scoped
/// advisory lock, SQLite with <c>BEGIN IMMEDIATE</c> (one writer per file).
/// </summary>
public static partial class SchemaInstaller
{
    private const string ResourcePrefix = "OrleansShare.Schema.";

    /// <summary>The advisory lock every OrleansShare installer takes: "ORLSHARE" read as a 64-bit number (0x4F524C5348415245).</summary>
    private const string PostgreSqlLockSql = "SELECT pg_advisory_xact_lock(5715714797664817733);";

    private const string PostgreSqlCreateJournalSql = """
        CREATE TABLE IF NOT EXISTS orleansshare_schema_migrations
        (
            name       varchar(200) NOT NULL PRIMARY KEY,
            applied_at timestamptz  NOT NULL DEFAULT now()
        );
        """;

    private const string SqliteCreateJournalSql = """
        CREATE TABLE IF NOT EXISTS orleansshare_schema_migrations
        (
            name       TEXT NOT NULL PRIMARY KEY,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        """;

    private const string IsAppliedSql = "SELECT COUNT(*) FROM orleansshare_schema_migrations WHERE name = @Name;";

    private const string RecordSql = "INSERT INTO orleansshare_schema_migrations (name) VALUES (@Name);";

    public static async Task ApplyAsync(Database database, ILogger logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(logger);

        var dialect = DialectOf(database.Kind);
        var scripts = EmbeddedScripts(dialect);
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException(
                $"No embedded schema scripts found for '{dialect}' (expected resources named '{ResourcePrefix}{dialect}/*.sql').");
        }

        LogApplying(logger, dialect, scripts.Count);

        await using var connection = await database.OpenConnectionAsync(ct);
        if (database.Kind == DatabaseKind.Sqlite)
        {
            // Persistent in the file: readers no longer block the single writer (several silos, one file).
            await ExecuteAsync(connection, transaction: null, "PRAGMA journal_mode=WAL;", ct);
        }

        var applied = 0;
        foreach (var script in scripts)
        {
            try
            {
                if (await ApplyOneAsync(connection, database.Kind, script, ct))
                {
                    applied++;
                    LogApplied(logger, script.Name, dialect);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex, script.Name, dialect);
                throw;
            }
        }

        LogUpToDate(logger, dialect, applied, scripts.Count);
    }

    private static async Task<bool> ApplyOneAsync(DbConnection connection, DatabaseKind kind, EmbeddedScript script, CancellationToken ct)
    {
        await using var transaction = kind == DatabaseKind.Sqlite
            ? ((SqliteConnection)connection).BeginTransaction(deferred: false) // BEGIN IMMEDIATE: take the write lock now
            : await connection.BeginTransactionAsync(ct);

        if (kind == DatabaseKind.PostgreSql)
        {
            // Held until commit or rollback; a concurrent installer waits here, then sees this one's record.
            await ExecuteAsync(connection, transaction, PostgreSqlLockSql, ct);
        }

        await ExecuteAsync(connection, transaction, kind == DatabaseKind.PostgreSql ? PostgreSqlCreateJournalSql : SqliteCreateJournalSql, ct);

        if (await IsAppliedAsync(connection, transaction, script.Name, ct))
        {
            await transaction.CommitAsync(ct);
            return false;
        }

        await ExecuteAsync(connection, transaction, await script.ReadAsync(ct), ct);

        await using (var record = connection.CreateCommand())
        {
            record.Transaction = transaction;
            record.CommandText = RecordSql;
            AddName(record, script.Name);
            await record.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return true;
    }

    private static async Task<bool> IsAppliedAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = IsAppliedSql;
        AddName(command, name);
        var count = await command.ExecuteScalarAsync(ct);
        return Convert.ToInt64(count, CultureInfo.InvariantCulture) > 0;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddName(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "Name";
        parameter.DbType = DbType.String;
        parameter.Value = name;
        command.Parameters.Add(parameter);
    }

    private static string DialectOf(DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite => "sqlite",
        DatabaseKind.PostgreSql => "postgresql",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown database kind."),
    };

    private static List<EmbeddedScript> EmbeddedScripts(string dialect)
    {
        var prefix = $"{ResourcePrefix}{dialect}/";
        var assembly = typeof(SchemaInstaller).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => new EmbeddedScript(name[prefix.Length..], name, assembly))
            .OrderBy(script => script.Name, StringComparer.Ordinal)
            .ToList();
    }

    private sealed record EmbeddedScript(string Name, string ResourceName, Assembly Assembly)
    {
        public async Task<string> ReadAsync(CancellationToken ct)
        {
            await using var stream = Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"Embedded schema script '{ResourceName}' is missing.");
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync(ct);
        }
    }
}
