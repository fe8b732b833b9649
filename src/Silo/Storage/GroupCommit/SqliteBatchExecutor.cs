using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// SQLite: a batch is one transaction on one connection (<c>BEGIN IMMEDIATE</c> when it writes, so it queues for the
/// file's single writer up front instead of failing to upgrade a read lock), its statements run one after another
/// in process, and one commit (one journal sync) makes them all durable.
/// </summary>
internal sealed class SqliteBatchExecutor(string connectionString, string serviceId) : IBatchExecutor
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

    public async Task<StorageOutcome[]> ExecuteAsync(IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var readOnly = operations.All(o => o.Kind == StorageOperationKind.Read);
        await using var transaction = connection.BeginTransaction(deferred: readOnly);
        var outcomes = new StorageOutcome[operations.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            await using var command = Command(connection, operations[i]);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            outcomes[i] = !await reader.ReadAsync(cancellationToken) ? default
                : operations[i].Kind == StorageOperationKind.Read
                    ? new StorageOutcome(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
                    : new StorageOutcome(reader.GetInt32(0), Payload: null);
        }

        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    public bool IsStatementError(DbException exception) =>
        // SQLITE_ERROR (a trigger's bad JSON), CONSTRAINT, TOOBIG, MISMATCH, RANGE. Not: BUSY or LOCKED (another
        // writer held the file past the busy timeout), I/O, FULL, CANTOPEN, CORRUPT: those fail the whole batch.
        exception is SqliteException { SqliteErrorCode: var code } && (code & 0xFF) is 1 or 18 or 19 or 20 or 25;

    private SqliteCommand Command(SqliteConnection connection, StorageOperation operation)
    {
        var key = operation.Key;
        var command = connection.CreateCommand();
        command.CommandText = operation switch
        {
            { Kind: StorageOperationKind.Read } => ReadSql,
            { Kind: StorageOperationKind.Write, ExpectedVersion: null } => InsertSql,
            { Kind: StorageOperationKind.Write } => UpdateSql,
            _ => ClearSql,
        };
        command.Parameters.AddWithValue("@ServiceId", serviceId);
        command.Parameters.AddWithValue("@StateName", key.StateName);
        command.Parameters.AddWithValue("@N0", key.N0);
        command.Parameters.AddWithValue("@N1", key.N1);
        command.Parameters.AddWithValue("@Extension", (object?)key.Extension ?? DBNull.Value);
        if (operation is { Kind: StorageOperationKind.Write, ExpectedVersion: null })
        {
            command.Parameters.AddWithValue("@GrainIdHash", key.GrainIdHash);
            command.Parameters.AddWithValue("@GrainTypeHash", key.GrainTypeHash);
        }

        if (operation.Kind == StorageOperationKind.Write)
        {
            command.Parameters.AddWithValue("@Payload", operation.Payload);
        }

        if (operation.Kind != StorageOperationKind.Read)
        {
            command.Parameters.AddWithValue("@Version", (object?)operation.ExpectedVersion ?? DBNull.Value);
        }

        return command;
    }
}
