using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// SQLite: a batch is one transaction on one connection (<c>BEGIN IMMEDIATE</c> when it writes, so it queues for the
/// file's single writer up front instead of failing to upgrade a read lock), its statements run one after another
/// in process, and one commit (one journal sync) makes them all durable.
/// </summary>
internal sealed class SqliteBatchExecutor(string connectionString, string serviceId) : IBatchExecutor, IAsyncDisposable
{
    private const string GrainMatches = """
        ServiceId = @ServiceId AND GrainTypeString = @StateName AND GrainIdN0 = @N0 AND GrainIdN1 = @N1
          AND COALESCE(GrainIdExtensionString, '') = COALESCE(@Extension, '')
        """;

    private const string ModifiedNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    private const string ReadSql = $"SELECT Version, PayloadBinary FROM OrleansStorage WHERE {GrainMatches}";

    private const string InsertSql = $"""
        INSERT INTO OrleansStorage
            (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString,
             GrainIdHash, GrainTypeHash, PayloadBinary, ModifiedOn, Version)
        VALUES (@ServiceId, @StateName, @N0, @N1, @Extension, @GrainIdHash, @GrainTypeHash, @Payload, {ModifiedNow}, 1)
        ON CONFLICT DO NOTHING
        RETURNING Version
        """;

    private const string UpdateSql = $"""
        UPDATE OrleansStorage SET PayloadBinary = @Payload, ModifiedOn = {ModifiedNow}, Version = Version + 1
        WHERE {GrainMatches} AND Version = @Version
        RETURNING Version
        """;

    private const string ClearSql = $"""
        UPDATE OrleansStorage SET PayloadBinary = NULL, ModifiedOn = {ModifiedNow}, Version = Version + 1
        WHERE {GrainMatches} AND Version = @Version
        RETURNING Version
        """;

    /// <summary>Open connections with their prepared commands, idle between batches (one per batch in flight).</summary>
    private readonly ConcurrentBag<PreparedConnection> _idle = [];

    public async Task<StorageOutcome[]> ExecuteAsync(IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken)
    {
        var prepared = _idle.TryTake(out var idle) ? idle : await PreparedConnection.OpenAsync(connectionString, cancellationToken);
        try
        {
            var outcomes = await ExecuteAsync(prepared, operations, cancellationToken);
            _idle.Add(prepared);
            return outcomes;
        }
        catch
        {
            // Whatever state it was left in (an open transaction, a broken statement), it is not used again.
            await prepared.DisposeAsync();
            throw;
        }
    }

    private async Task<StorageOutcome[]> ExecuteAsync(PreparedConnection prepared, IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken)
    {
        var readOnly = operations.All(o => o.Kind == StorageOperationKind.Read);
        await using var transaction = prepared.Connection.BeginTransaction(deferred: readOnly);
        var outcomes = new StorageOutcome[operations.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            var command = Command(prepared, operations[i]);
            command.Transaction = transaction;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            outcomes[i] = !await reader.ReadAsync(cancellationToken) ? default
                : operations[i].Kind == StorageOperationKind.Read
                    ? new StorageOutcome(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
                    : new StorageOutcome(reader.GetInt32(0), Payload: null);
        }

        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    /// <summary>Closes the idle connections (a batch still running closes its own when it ends).</summary>
    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var prepared))
        {
            await prepared.DisposeAsync();
        }
    }

    public bool IsStatementError(DbException exception) =>
        // SQLITE_ERROR (a trigger's bad JSON), CONSTRAINT, TOOBIG, MISMATCH, RANGE. Not: BUSY or LOCKED (another
        // writer held the file past the busy timeout), I/O, FULL, CANTOPEN, CORRUPT: those fail the whole batch.
        exception is SqliteException { SqliteErrorCode: var code } && (code & 0xFF) is 1 or 18 or 19 or 20 or 25;

    /// <summary>The prepared command of <paramref name="operation"/>'s statement on this connection, its parameters set.</summary>
    private SqliteCommand Command(PreparedConnection prepared, StorageOperation operation)
    {
        var key = operation.Key;
        var sql = operation switch
        {
            { Kind: StorageOperationKind.Read } => ReadSql,
            { Kind: StorageOperationKind.Write, ExpectedVersion: null } => InsertSql,
            { Kind: StorageOperationKind.Write } => UpdateSql,
            _ => ClearSql,
        };
        var command = prepared.For(sql);
        Set(command, "@ServiceId", serviceId);
        Set(command, "@StateName", key.StateName);
        Set(command, "@N0", key.N0);
        Set(command, "@N1", key.N1);
        Set(command, "@Extension", key.Extension);
        if (operation is { Kind: StorageOperationKind.Write, ExpectedVersion: null })
        {
            Set(command, "@GrainIdHash", key.GrainIdHash);
            Set(command, "@GrainTypeHash", key.GrainTypeHash);
        }

        if (operation.Kind == StorageOperationKind.Write)
        {
            Set(command, "@Payload", operation.Payload);
        }

        if (operation.Kind != StorageOperationKind.Read)
        {
            Set(command, "@Version", operation.ExpectedVersion);
        }

        return command;
    }

    /// <summary>Gives a parameter of a reused command its value for this run, adding it on the command's first run.</summary>
    private static void Set(SqliteCommand command, string name, object? value)
    {
        if (command.Parameters.Contains(name))
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
        else
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    /// <summary>
    /// One open connection and its commands, prepared once each: SQLite compiles a statement together with every
    /// trigger it fires, and the session triggers are long, so compiling them again for each write would cost more
    /// than running them. A connection serves one batch at a time.
    /// </summary>
    private sealed class PreparedConnection(SqliteConnection connection) : IAsyncDisposable
    {
        /// <summary>
        /// A page cache of up to 64 MiB, and reads through a memory map of up to 256 MiB: a batch finds the rows it
        /// rewrites (and their index pages) in memory instead of reading each page with a system call.
        /// </summary>
        private const string Pragmas = "PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;";

        private readonly Dictionary<string, SqliteCommand> _commands = [];

        public SqliteConnection Connection => connection;

        public static async Task<PreparedConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                await using (var pragmas = connection.CreateCommand())
                {
                    pragmas.CommandText = Pragmas;
                    await pragmas.ExecuteNonQueryAsync(cancellationToken);
                }

                return new PreparedConnection(connection);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        /// <summary>The command of <paramref name="sql"/>, prepared on first use (its parameters are bound per run).</summary>
        public SqliteCommand For(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                command.Prepare();
                _commands.Add(sql, command);
            }

            return command;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in _commands.Values)
            {
                await command.DisposeAsync();
            }

            await connection.DisposeAsync();
        }
    }
}
