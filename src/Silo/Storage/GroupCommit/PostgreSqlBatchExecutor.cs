using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// PostgreSQL: a batch is one <see cref="NpgsqlBatch"/>, one statement per operation, sent in one round trip. With no
/// explicit transaction the statements up to the batch's Sync run in one implicit transaction, committed when the
/// last one succeeds: one round trip and one commit per batch, and if any statement fails none of them is kept.
/// The statements are fixed texts with positional parameters, so Npgsql's automatic preparation (the
/// <c>MaxAutoPrepare</c> that <see cref="Database"/> sets) spares PostgreSQL parsing and planning them.
/// A session write carries its rows beside grain state (<see cref="SessionRows"/>) as data-modifying CTEs of its own
/// statement, which run only if the versioned write itself matched; the batch's first statement tells the session
/// storage trigger (migration 011) to leave those rows to the writer, so the database does not parse each session
/// document to derive them.
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

    // For this transaction only: the session trigger's WHEN clause skips rows whose side rows the writer sends.
    private const string WriterSendsSessionRowsSql = "SELECT set_config('orleansshare.session_rows', 'writer', true)";

    // recorded_at_ms of the rows a write adds, as the triggers stamp them.
    private const string NowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>Statement texts by shape (insert or update, and which side rows), built once each.</summary>
    private static readonly ConcurrentDictionary<int, string> SessionStatements = new();

    public async Task<StorageOutcome[]> ExecuteAsync(IReadOnlyList<StorageOperation> operations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var sendsRows = operations.Any(o => o is { Kind: StorageOperationKind.Write, Rows: not null });
        if (sendsRows)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(WriterSendsSessionRowsSql));
        }

        foreach (var operation in operations)
        {
            batch.BatchCommands.Add(Command(operation));
        }

        var outcomes = new StorageOutcome[operations.Count];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            if (sendsRows && !await reader.NextResultAsync(cancellationToken))
            {
                throw new InvalidOperationException("The batch answered none of its statements.");
            }

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
        var shape = operation is { Kind: StorageOperationKind.Write, Rows: { } rows } ? Shape(operation, rows) : 0;
        var command = new NpgsqlBatchCommand(operation switch
        {
            { Kind: StorageOperationKind.Read } => ReadSql,
            { Kind: StorageOperationKind.Write } when shape != 0 => SessionStatements.GetOrAdd(shape, BuildSessionStatement),
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

        if (shape != 0)
        {
            AddRowParameters(command.Parameters, shape, operation.Rows!);
        }

        return command;
    }

    [Flags]
    private enum Part
    {
        Session = 1, // always set for a session write: the shape is not 0
        Insert = 2,
        IndexUpsert = 4,
        IndexDelete = 8,
        PendingRedemption = 16,
        CompletedRedemption = 32,
        LedgerMinted = 64,
        LedgerSettled = 128, // redeemed or revoked: an upsert that keeps the minted row's parties
        Events = 256,
    }

    private static int Shape(StorageOperation operation, SessionRows rows)
    {
        var shape = Part.Session;
        shape |= operation.ExpectedVersion is null ? Part.Insert : 0;
        shape |= rows.Index is null ? Part.IndexDelete : operation.IndexUnchanged ? 0 : Part.IndexUpsert;
        shape |= rows.PendingRedemption is not null ? Part.PendingRedemption : 0;
        shape |= rows.CompletedRedemption is not null ? Part.CompletedRedemption : 0;
        shape |= rows.Ledger is { Change: LedgerChange.Minted } ? Part.LedgerMinted : rows.Ledger is not null ? Part.LedgerSettled : 0;
        shape |= rows.Events.IsDefaultOrEmpty ? 0 : Part.Events;
        return (int)shape;
    }

    /// <summary>
    /// The grain write (as <see cref="InsertSql"/> or <see cref="UpdateSql"/>, $1-$7 or $1-$8) as CTE <c>w</c>, then one
    /// CTE per side row, each drawing from <c>w</c> so that it writes nothing if the versioned write matched nothing.
    /// Parameters after the write's, in this order: application id, session id, then each part's own.
    /// </summary>
    private static string BuildSessionStatement(int shapeBits)
    {
        var shape = (Part)shapeBits;
        var n = shape.HasFlag(Part.Insert) ? 8 : 7;
        string Next() => "$" + (++n).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var sql = new StringBuilder("WITH w AS (");
        sql.Append(shape.HasFlag(Part.Insert) ? InsertSql : UpdateSql).Append(")\n");
        var app = Next();
        var session = Next();
        if (shape.HasFlag(Part.IndexUpsert))
        {
            sql.Append($"""
                , index_row AS (
                    INSERT INTO session_index
                        (service_id, application_id, session_id, session_number, session_kind, status, vendor_data, workflow_id, created_at_ms)
                    SELECT $1, {app}, {session}, {Next()}, {Next()}, {Next()}, {Next()}, {Next()}, {Next()} FROM w
                    ON CONFLICT (service_id, session_id) DO UPDATE SET
                        application_id = EXCLUDED.application_id, session_number = EXCLUDED.session_number,
                        session_kind = EXCLUDED.session_kind, status = EXCLUDED.status, vendor_data = EXCLUDED.vendor_data,
                        workflow_id = EXCLUDED.workflow_id, created_at_ms = EXCLUDED.created_at_ms)

                """);
        }

        if (shape.HasFlag(Part.IndexDelete))
        {
            sql.Append($"""
                , index_gone AS (DELETE FROM session_index WHERE service_id = $1 AND session_id = {session} AND EXISTS (SELECT 1 FROM w))

                """);
        }

        if (shape.HasFlag(Part.PendingRedemption))
        {
            sql.Append($"""
                , source_part AS (
                    INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
                    SELECT $1, {Next()}, 'source', {session}, NULL, {NowMs} FROM w ON CONFLICT DO NOTHING)

                """);
        }

        if (shape.HasFlag(Part.CompletedRedemption))
        {
            sql.Append($"""
                , clone_part AS (
                    INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
                    SELECT $1, {Next()}, 'clone', {Next()}, {session}, {NowMs} FROM w ON CONFLICT DO NOTHING)

                """);
        }

        if (shape.HasFlag(Part.LedgerMinted) || shape.HasFlag(Part.LedgerSettled))
        {
            // As orleansshare_share_ledger_apply (migration 008): a mint inserts, a redemption or revocation updates
            // the minted row (or inserts one if the mint was never recorded), and nothing is applied twice.
            sql.Append($"""
                , ledger AS (
                    INSERT INTO share_ledger
                        (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind,
                         purpose, scope, consent_obtained_at_ms, consent_method, consent_reference, created_at_ms, expires_at_ms,
                         redeemed_at_ms, imported_session_id, revoked_at_ms)
                    SELECT $1, {Next()}, {app}, {Next()}, {session}, {Next()}, {Next()}, {Next()}, {Next()}, {Next()}, {Next()},
                           {Next()}, {Next()}, {Next()}, {Next()}, {Next()} FROM w

                """);
            sql.Append(shape.HasFlag(Part.LedgerMinted)
                ? "    ON CONFLICT DO NOTHING)\n"
                : """
                      ON CONFLICT (service_id, token_id) DO UPDATE SET
                          redeemed_at_ms      = COALESCE(share_ledger.redeemed_at_ms, EXCLUDED.redeemed_at_ms),
                          imported_session_id = COALESCE(share_ledger.imported_session_id, EXCLUDED.imported_session_id),
                          revoked_at_ms       = CASE WHEN EXCLUDED.redeemed_at_ms IS NOT NULL THEN NULL
                                                     ELSE COALESCE(share_ledger.revoked_at_ms, EXCLUDED.revoked_at_ms) END)

                  """);
        }

        if (shape.HasFlag(Part.Events))
        {
            // Only for an application with a destination (migration 011), as the trigger does.
            sql.Append($"""
                , events AS (
                    INSERT INTO webhook_event
                        (service_id, event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, recorded_at_ms)
                    SELECT $1, e.event_id, {app}, {session}, e.sequence, e.event_type, e.status, e.occurred_at_ms, {NowMs}
                    FROM w, unnest({Next()}::uuid[], {Next()}::bigint[], {Next()}::text[], {Next()}::text[], {Next()}::bigint[])
                         AS e (event_id, sequence, event_type, status, occurred_at_ms)
                    WHERE EXISTS (SELECT 1 FROM webhook_subscriber s WHERE s.service_id = $1 AND s.application_id = {app})
                    ON CONFLICT DO NOTHING)

                """);
        }

        sql.Append("SELECT version FROM w");
        return sql.ToString();
    }

    /// <summary>The parameters <see cref="BuildSessionStatement"/> numbers, in its order.</summary>
    private static void AddRowParameters(NpgsqlParameterCollection parameters, int shapeBits, SessionRows rows)
    {
        var shape = (Part)shapeBits;
        parameters.Add(new NpgsqlParameter<Guid> { TypedValue = rows.ApplicationId });
        parameters.Add(new NpgsqlParameter<Guid> { TypedValue = rows.SessionId });
        if (shape.HasFlag(Part.IndexUpsert))
        {
            var index = rows.Index!;
            parameters.Add(new NpgsqlParameter<long> { TypedValue = index.SessionNumber });
            parameters.Add(Text(index.SessionKind));
            parameters.Add(Text(index.Status));
            parameters.Add(Text(index.VendorData));
            parameters.Add(Uuid(index.WorkflowId));
            parameters.Add(new NpgsqlParameter<long> { TypedValue = index.CreatedAtMs });
        }

        if (shape.HasFlag(Part.PendingRedemption))
        {
            parameters.Add(Text(rows.PendingRedemption));
        }

        if (shape.HasFlag(Part.CompletedRedemption))
        {
            parameters.Add(Text(rows.CompletedRedemption));
            parameters.Add(Uuid(rows.SharedFromSession));
        }

        if (rows.Ledger is { } ledger && (shape.HasFlag(Part.LedgerMinted) || shape.HasFlag(Part.LedgerSettled)))
        {
            var at = SessionRows.UnixMilliseconds(ledger.At);
            parameters.Add(Text(ledger.TokenId));
            parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ledger.PartnerApplicationId });
            parameters.Add(Text(rows.SessionKind));
            parameters.Add(Text(ledger.Purpose));
            parameters.Add(Text(ledger.Scope));
            parameters.Add(Bigint(ledger.Consent is { } consent ? SessionRows.UnixMilliseconds(consent.ObtainedAt) : null));
            parameters.Add(Text(ledger.Consent?.Method));
            parameters.Add(Text(ledger.Consent?.Reference));
            parameters.Add(new NpgsqlParameter<long> { TypedValue = at });
            parameters.Add(Bigint(ledger.ExpiresAt is { } expires ? SessionRows.UnixMilliseconds(expires) : null));
            parameters.Add(Bigint(ledger.Change == LedgerChange.Redeemed ? at : null));
            parameters.Add(Uuid(ledger.ImportedSessionId));
            parameters.Add(Bigint(ledger.Change == LedgerChange.Revoked ? at : null));
        }

        if (shape.HasFlag(Part.Events))
        {
            var events = rows.Events;
            parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. events.Select(e => e.EventId)] });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Sequence)] });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Type)] });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Status)] });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => SessionRows.UnixMilliseconds(e.OccurredAt))] });
        }
    }

    private static NpgsqlParameter Text(string? value) =>
        value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter<string> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Uuid(Guid? value) =>
        value is { } id ? new NpgsqlParameter<Guid> { TypedValue = id } : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid };

    private static NpgsqlParameter Bigint(long? value) =>
        value is { } number ? new NpgsqlParameter<long> { TypedValue = number } : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };
}
