using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// PostgreSQL: a batch is one <see cref="NpgsqlBatch"/>, one statement per operation, sent in one round trip. With no
/// explicit transaction the statements up to the batch's Sync run in one implicit transaction, committed when the
/// last one succeeds: one round trip and one commit per batch, and if any statement fails none of them is kept.
/// The statements are fixed texts with positional parameters, so Npgsql's automatic preparation (the
/// <c>MaxAutoPrepare</c> that <see cref="Database"/> sets) spares PostgreSQL parsing and planning them.
/// </summary>
internal sealed class PostgreSqlBatchExecutor(NpgsqlDataSource dataSource, string serviceId) : IBatchExecutor
{
    // $1 service id, $2 state name, $3 N0, $4 N1, $5 key extension: the unique grain identity, matched as the
    // unique index uq_orleansstorage_grain defines it (a NULL extension and an empty one are the same grain).
    private const string GrainMatches = """
        serviceid = $1 AND graintypestring = $2 AND grainidn0 = $3 AND grainidn1 = $4
          AND COALESCE(grainidextensionstring, '') = COALESCE($5, '')
        """;

    private const string ReadSql = $"SELECT version, payloadbinary FROM orleansstorage WHERE {GrainMatches}";

    // The first write of a grain: a row already there (another activation's first write) matches nothing.
    private const string InsertSql = """
        INSERT INTO orleansstorage
            (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
             grainidhash, graintypehash, payloadbinary, modifiedon, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), 1)
        ON CONFLICT DO NOTHING
        RETURNING version
        """;

    // A later write ($6 the version the grain read, $7 the payload) and a clear: only while the version still matches.
    private const string UpdateSql = $"""
        UPDATE orleansstorage SET payloadbinary = $7, modifiedon = now(), version = version + 1
        WHERE {GrainMatches} AND version = $6
        RETURNING version
        """;

    private const string ClearSql = $"""
        UPDATE orleansstorage SET payloadbinary = NULL, modifiedon = now(), version = version + 1
        WHERE {GrainMatches} AND version = $6
        RETURNING version
        """;

    public async Task<StorageOutcome[]> ExecuteAsync(IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var operation in operations)
        {
            batch.BatchCommands.Add(Command(operation));
        }

        var outcomes = new StorageOutcome[operations.Count];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            for (var i = 0; i < outcomes.Length; i++)
            {
                if (i > 0 && !await reader.NextResultAsync(cancellationToken))
                {
                    throw new InvalidOperationException($"The batch answered {i} of {outcomes.Length} statements.");
                }

                outcomes[i] = !await reader.ReadAsync(cancellationToken) ? default
                    : operations[i].Kind == StorageOperationKind.Read
                        ? new StorageOutcome(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
                        : new StorageOutcome(reader.GetInt32(0), Payload: null);
            }

            // The implicit transaction commits at the batch's end; disposing the reader reads the answer to that
            // (an error if the commit failed) before any outcome is handed out.
        }

        return outcomes;
    }

    public bool IsStatementError(DbException exception) =>
        exception is PostgresException { SqlState: var state }
        // Not: 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, cancel),
        // 58 system error, XX internal error. Those fail every operation of the batch.
        && state[..2] is not ("08" or "53" or "57" or "58" or "XX");

    private NpgsqlBatchCommand Command(StorageOperation operation)
    {
        var key = operation.Key;
        var command = new NpgsqlBatchCommand(operation switch
        {
            { Kind: StorageOperationKind.Read } => ReadSql,
            { Kind: StorageOperationKind.Write, ExpectedVersion: null } => InsertSql,
            { Kind: StorageOperationKind.Write } => UpdateSql,
            _ => ClearSql,
        });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.StateName, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key.N0 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key.N1 });
        command.Parameters.Add(key.Extension is null
            ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar }
            : new NpgsqlParameter<string> { TypedValue = key.Extension, NpgsqlDbType = NpgsqlDbType.Varchar });
        switch (operation)
        {
            case { Kind: StorageOperationKind.Write, ExpectedVersion: null }:
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = key.GrainIdHash });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = key.GrainTypeHash });
                command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = operation.Payload });
                break;
            case { Kind: StorageOperationKind.Write, ExpectedVersion: { } version }:
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
                command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = operation.Payload });
                break;
            case { Kind: StorageOperationKind.Clear }:
                // A clear without a version matches nothing, as in the stock provider's ClearStorageKey.
                command.Parameters.Add(operation.ExpectedVersion is { } expected
                    ? new NpgsqlParameter<int> { TypedValue = expected }
                    : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
                break;
        }

        return command;
    }
}
