using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Npgsql;

namespace OrleansShare.Silo.Storage;

/// <summary>
/// The webhook outbox: <c>webhook_event</c> (rows the session trigger inserts with each status change) and
/// <c>webhook_delivery</c> (one row per event and destination, with its attempts). The dispatcher of every silo fans
/// events out, claims due deliveries under a lease and records each attempt; the delivery log reads it. Every query is
/// scoped to the database's ServiceId, and a session's events and deliveries are handled in sequence order.
/// </summary>
public sealed class WebhookOutbox(Database database)
{
    // An event waits while its session has an earlier event not yet fanned out. A session's first event is left to the
    // silo that stored it (IFirstEventHandoff) until @HandedBeforeMs: that silo attempts it and removes it meanwhile.
    private const string ListEventsSql = """
        SELECT w.event_id, w.application_id, w.session_id, w.sequence, w.event_type, w.status, w.occurred_at_ms
        FROM webhook_event w
        WHERE w.service_id = @ServiceId
          AND (w.sequence > 1 OR w.recorded_at_ms <= @HandedBeforeMs)
          AND NOT EXISTS (SELECT 1 FROM webhook_event p
                          WHERE p.service_id = w.service_id AND p.session_id = w.session_id AND p.sequence < w.sequence)
        ORDER BY w.recorded_at_ms
        LIMIT @Limit;
        """;

    // A delivery is due when its time has come, no silo holds its lease, its destination has no earlier pending delivery
    // of the same session, and its destination has fewer than @PerDestination deliveries in flight. The outer conditions
    // are checked again on the locked row, so two silos never claim the same delivery. One pass over the pending rows
    // ranks each within its session (first = nothing earlier pending) and counts its destination's leases in flight, so
    // a claim costs O(n log n) in the backlog (a per-row NOT EXISTS made it quadratic when the planner chose a loop).
    private const string ClaimSql = """
        UPDATE webhook_delivery
        SET lease_until_ms = @LeaseUntilMs
        WHERE service_id = @ServiceId
          AND state = 'pending'
          AND lease_until_ms <= @NowMs
          AND (event_id, destination_id) IN (
            SELECT c.event_id, c.destination_id FROM (
                SELECT f.event_id, f.destination_id, f.next_attempt_at_ms,
                       ROW_NUMBER() OVER (PARTITION BY f.destination_id ORDER BY f.next_attempt_at_ms, f.sequence) + f.busy AS slot
                FROM (
                    SELECT w.event_id, w.destination_id, w.sequence, w.next_attempt_at_ms, w.lease_until_ms,
                           ROW_NUMBER() OVER (PARTITION BY w.destination_id, w.session_id ORDER BY w.sequence) AS in_session,
                           SUM(CASE WHEN w.lease_until_ms > @NowMs THEN 1 ELSE 0 END) OVER (PARTITION BY w.destination_id) AS busy
                    FROM webhook_delivery w
                    WHERE w.service_id = @ServiceId AND w.state = 'pending'
                ) f
                WHERE f.in_session = 1 AND f.next_attempt_at_ms <= @NowMs AND f.lease_until_ms <= @NowMs
            ) c
            WHERE c.slot <= @PerDestination
            ORDER BY c.next_attempt_at_ms
            LIMIT @Limit)
        RETURNING event_id, destination_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, attempts, created_at_ms;
        """;

    // One statement per attempt, numbered {0}; a batch of them is sent as one command in one transaction.
    private const string RecordAttemptSql = """
        UPDATE webhook_delivery
        SET state = @State{0}, attempts = attempts + 1, last_status_code = @StatusCode{0}, last_error = @Error{0},
            next_attempt_at_ms = @NextAttemptAtMs{0}, lease_until_ms = 0, updated_at_ms = @NowMs{0}
        WHERE service_id = @ServiceId AND event_id = @EventId{0} AND destination_id = @DestinationId{0};
        """;

    private static readonly CompositeFormat RecordAttempt = CompositeFormat.Parse(RecordAttemptSql);

    /// <summary>Attempts recorded per command: 7 parameters each.</summary>
    private const int RecordChunk = 100;

    // What is waiting: events not yet fanned out and deliveries not yet settled, of the whole cluster.
    private const string BacklogSql = """
        SELECT (SELECT COUNT(*) FROM webhook_event WHERE service_id = @ServiceId)
             + (SELECT COUNT(*) FROM webhook_delivery WHERE service_id = @ServiceId AND state = 'pending');
        """;

    private const string RemoveSettledSql = """
        DELETE FROM webhook_delivery WHERE service_id = @ServiceId AND state <> 'pending' AND updated_at_ms < @BeforeMs;
        """;

    private const string LogSql = """
        SELECT COUNT(*) FROM webhook_delivery
        WHERE service_id = @ServiceId AND application_id = @ApplicationId AND destination_id = @DestinationId;

        SELECT event_id, session_id, event_type, status, state, attempts, last_status_code, next_attempt_at_ms,
               created_at_ms, updated_at_ms
        FROM webhook_delivery
        WHERE service_id = @ServiceId AND application_id = @ApplicationId AND destination_id = @DestinationId
        ORDER BY created_at_ms DESC, sequence DESC
        LIMIT @Limit OFFSET @Offset;
        """;

    /// <summary>Rows of one multi-row insert: 14 parameters each stays far below SQLite's limit of 32,766.</summary>
    private const int InsertChunk = 200;

    /// <summary>
    /// The oldest events ready to fan out: none of an earlier event of the same session, and no first event of a session
    /// stored after <paramref name="handedBeforeMs"/> (its silo is attempting it).
    /// </summary>
    public async Task<IReadOnlyList<OutboxEvent>> ListEventsAsync(int limit, long handedBeforeMs, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ListEventsSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "HandedBeforeMs", handedBeforeMs, DbType.Int64);
        AddParameter(command, "Limit", limit, DbType.Int32);

        var events = new List<OutboxEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new OutboxEvent(
                ReadGuid(reader, 0), ReadGuid(reader, 1), ReadGuid(reader, 2), reader.GetInt64(3), reader.GetString(4), reader.GetString(5),
                reader.GetInt64(6)));
        }

        return events;
    }

    /// <summary>
    /// In one transaction: removes <paramref name="events"/> from the outbox and inserts the <paramref name="deliveries"/>
    /// of those this call removed (an event another silo fanned out meanwhile is left to it). A delivery without a first
    /// attempt is pending, due at once; one with an attempt already made carries its outcome. Returns the deliveries
    /// inserted.
    /// </summary>
    public async Task<int> FanOutAsync(IReadOnlyList<OutboxEvent> events, IReadOnlyList<NewDelivery> deliveries, long nowMs, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        if (database.Kind == DatabaseKind.PostgreSql)
        {
            return await FanOutOnPostgreSqlAsync(events, deliveries, nowMs, ct);
        }

        await using var connection = await database.OpenBookkeepingConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        var removed = new HashSet<Guid>();
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            var ids = new StringBuilder();
            for (var i = 0; i < events.Count; i++)
            {
                ids.Append(i == 0 ? "" : ", ").Append("@E").Append(i);
                AddGuid(delete, $"E{i}", events[i].EventId);
            }

            delete.CommandText = $"DELETE FROM webhook_event WHERE service_id = @ServiceId AND event_id IN ({ids}) RETURNING event_id;";
            AddParameter(delete, "ServiceId", database.ServiceId, DbType.String);
            await using var reader = await delete.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                removed.Add(ReadGuid(reader, 0));
            }
        }

        var rows = deliveries.Where(d => removed.Contains(d.Event.EventId)).ToList();
        foreach (var chunk in rows.Chunk(InsertChunk))
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            var values = new StringBuilder();
            AddParameter(insert, "ServiceId", database.ServiceId, DbType.String);
            AddParameter(insert, "NowMs", nowMs, DbType.Int64);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (e, destinationId, attempt) = chunk[i];
                values.Append(i == 0 ? "" : ",\n").Append(CultureInfo.InvariantCulture,
                    $"(@ServiceId, @E{i}, @D{i}, @A{i}, @S{i}, @Q{i}, @T{i}, @St{i}, @O{i}, @State{i}, @N{i}, @C{i}, @Err{i}, @Due{i}, 0, @NowMs, @U{i})");
                AddGuid(insert, $"E{i}", e.EventId);
                AddGuid(insert, $"D{i}", destinationId);
                AddGuid(insert, $"A{i}", e.ApplicationId);
                AddGuid(insert, $"S{i}", e.SessionId);
                AddParameter(insert, $"Q{i}", e.Sequence, DbType.Int64);
                AddParameter(insert, $"T{i}", e.EventType, DbType.String);
                AddParameter(insert, $"St{i}", e.Status, DbType.String);
                AddParameter(insert, $"O{i}", e.OccurredAtMs, DbType.Int64);
                AddParameter(insert, $"State{i}", attempt?.State ?? DeliveryStates.Pending, DbType.String);
                AddParameter(insert, $"N{i}", attempt is null ? 0 : 1, DbType.Int32);
                AddParameter(insert, $"C{i}", attempt?.StatusCode, DbType.Int32);
                AddParameter(insert, $"Err{i}", attempt?.Error, DbType.String);
                AddParameter(insert, $"Due{i}", attempt?.NextAttemptAtMs ?? nowMs, DbType.Int64);
                AddParameter(insert, $"U{i}", attempt?.AtMs ?? nowMs, DbType.Int64);
            }

            insert.CommandText = $"""
                INSERT INTO webhook_delivery
                    (service_id, event_id, destination_id, application_id, session_id, sequence, event_type, status, occurred_at_ms,
                     state, attempts, last_status_code, last_error, next_attempt_at_ms, lease_until_ms, created_at_ms, updated_at_ms)
                VALUES {values}
                ON CONFLICT DO NOTHING;
                """;
            await insert.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>
    /// <see cref="FanOutAsync"/> on PostgreSQL: one statement of fixed text (prepared once per connection, whatever the
    /// batch's size), its rows as arrays, atomic by itself, so one round trip and no transaction to open or commit.
    /// </summary>
    private async Task<int> FanOutOnPostgreSqlAsync(IReadOnlyList<OutboxEvent> events, IReadOnlyList<NewDelivery> deliveries, long nowMs, CancellationToken ct)
    {
        await using var connection = await database.OpenBookkeepingConnectionAsync(ct);
        await using var command = (NpgsqlCommand)connection.CreateCommand();
        command.CommandText = PostgreSqlFanOutSql;
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("ServiceId", database.ServiceId));
        p.Add(new NpgsqlParameter<long>("NowMs", nowMs));
        p.Add(new NpgsqlParameter<Guid[]>("Events", [.. events.Select(e => e.EventId)]));
        p.Add(new NpgsqlParameter<Guid[]>("E", [.. deliveries.Select(d => d.Event.EventId)]));
        p.Add(new NpgsqlParameter<Guid[]>("D", [.. deliveries.Select(d => d.DestinationId)]));
        p.Add(new NpgsqlParameter<Guid[]>("A", [.. deliveries.Select(d => d.Event.ApplicationId)]));
        p.Add(new NpgsqlParameter<Guid[]>("S", [.. deliveries.Select(d => d.Event.SessionId)]));
        p.Add(new NpgsqlParameter<long[]>("Q", [.. deliveries.Select(d => d.Event.Sequence)]));
        p.Add(new NpgsqlParameter<string[]>("T", [.. deliveries.Select(d => d.Event.EventType)]));
        p.Add(new NpgsqlParameter<string[]>("St", [.. deliveries.Select(d => d.Event.Status)]));
        p.Add(new NpgsqlParameter<long[]>("O", [.. deliveries.Select(d => d.Event.OccurredAtMs)]));
        p.Add(new NpgsqlParameter<string[]>("State", [.. deliveries.Select(d => d.FirstAttempt?.State ?? DeliveryStates.Pending)]));
        p.Add(new NpgsqlParameter<int[]>("N", [.. deliveries.Select(d => d.FirstAttempt is null ? 0 : 1)]));
        p.Add(new NpgsqlParameter<int?[]>("C", [.. deliveries.Select(d => d.FirstAttempt?.StatusCode)]));
        p.Add(new NpgsqlParameter<string?[]>("Err", [.. deliveries.Select(d => d.FirstAttempt?.Error)]));
        p.Add(new NpgsqlParameter<long[]>("Due", [.. deliveries.Select(d => d.FirstAttempt?.NextAttemptAtMs ?? nowMs)]));
        p.Add(new NpgsqlParameter<long[]>("U", [.. deliveries.Select(d => d.FirstAttempt?.AtMs ?? nowMs)]));
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    // The events are removed and the deliveries of those this statement removed inserted (an event another silo fanned
    // out meanwhile is left to it: its row is locked until that silo commits, then found gone).
    private const string PostgreSqlFanOutSql = """
        WITH removed AS (
            DELETE FROM webhook_event WHERE service_id = @ServiceId AND event_id = ANY(@Events) RETURNING event_id),
        inserted AS (
            INSERT INTO webhook_delivery
                (service_id, event_id, destination_id, application_id, session_id, sequence, event_type, status, occurred_at_ms,
                 state, attempts, last_status_code, last_error, next_attempt_at_ms, lease_until_ms, created_at_ms, updated_at_ms)
            SELECT @ServiceId, d.e, d.d, d.a, d.s, d.q, d.t, d.st, d.o, d.state, d.n, d.c, d.err, d.due, 0, @NowMs, d.u
            FROM unnest(@E::uuid[], @D::uuid[], @A::uuid[], @S::uuid[], @Q::bigint[], @T::text[], @St::text[], @O::bigint[],
                        @State::text[], @N::integer[], @C::integer[], @Err::text[], @Due::bigint[], @U::bigint[])
                 AS d (e, d, a, s, q, t, st, o, state, n, c, err, due, u)
            WHERE d.e IN (SELECT event_id FROM removed)
            ON CONFLICT DO NOTHING
            RETURNING 1)
        SELECT COUNT(*) FROM inserted;
        """;

    /// <summary>Claims up to <paramref name="limit"/> due deliveries until <paramref name="leaseUntilMs"/>.</summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, int perDestination, long nowMs, long leaseUntilMs, CancellationToken ct)
    {
        await using var connection = await database.OpenBookkeepingConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ClaimSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "NowMs", nowMs, DbType.Int64);
        AddParameter(command, "LeaseUntilMs", leaseUntilMs, DbType.Int64);
        AddParameter(command, "PerDestination", perDestination, DbType.Int32);
        AddParameter(command, "Limit", limit, DbType.Int32);

        var claimed = new List<ClaimedDelivery>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new ClaimedDelivery(
                ReadGuid(reader, 0), ReadGuid(reader, 1), ReadGuid(reader, 2), ReadGuid(reader, 3), reader.GetInt64(4), reader.GetString(5),
                reader.GetString(6), reader.GetInt64(7), reader.GetInt32(8), reader.GetInt64(9)));
        }

        return claimed;
    }

    /// <summary>
    /// Records attempts of claimed deliveries and releases their leases, all in one transaction (one round trip per
    /// hundred): the attempts that finish while the previous batch is being written share the next one.
    /// </summary>
    public async Task RecordAttemptsAsync(IReadOnlyList<(ClaimedDelivery Delivery, DeliveryAttempt Attempt)> attempts, CancellationToken ct)
    {
        if (attempts.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenBookkeepingConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var chunk in attempts.Chunk(RecordChunk))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var text = new StringBuilder();
            AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (delivery, attempt) = chunk[i];
                text.AppendFormat(CultureInfo.InvariantCulture, RecordAttempt, i).AppendLine();
                AddGuid(command, $"EventId{i}", delivery.EventId);
                AddGuid(command, $"DestinationId{i}", delivery.DestinationId);
                AddParameter(command, $"State{i}", attempt.State, DbType.String);
                AddParameter(command, $"StatusCode{i}", attempt.StatusCode, DbType.Int32);
                AddParameter(command, $"Error{i}", attempt.Error, DbType.String);
                AddParameter(command, $"NextAttemptAtMs{i}", attempt.NextAttemptAtMs, DbType.Int64);
                AddParameter(command, $"NowMs{i}", attempt.AtMs, DbType.Int64);
            }

            command.CommandText = text.ToString();
            await command.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>Events not yet fanned out plus deliveries still pending, cluster-wide.</summary>
    public async Task<long> CountBacklogAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = BacklogSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>Deletes delivered and failed deliveries last touched before <paramref name="beforeMs"/>.</summary>
    public async Task<int> RemoveSettledAsync(long beforeMs, CancellationToken ct)
    {
        await using var connection = await database.OpenBookkeepingConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = RemoveSettledSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "BeforeMs", beforeMs, DbType.Int64);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The delivery log of one destination of one application, newest first.</summary>
    public async Task<IndexPage<DeliveryLogEntry>> ListDeliveriesAsync(Guid applicationId, Guid destinationId, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = LogSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddGuid(command, "ApplicationId", applicationId);
        AddGuid(command, "DestinationId", destinationId);
        AddParameter(command, "Limit", limit, DbType.Int32);
        AddParameter(command, "Offset", offset, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        long count = 0;
        if (await reader.ReadAsync(ct))
        {
            count = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
        }

        await reader.NextResultAsync(ct);
        var results = new List<DeliveryLogEntry>();
        while (await reader.ReadAsync(ct))
        {
            var state = reader.GetString(4);
            results.Add(new DeliveryLogEntry(
                EventId: ReadGuid(reader, 0),
                SessionId: ReadGuid(reader, 1),
                EventType: reader.GetString(2),
                Status: reader.GetString(3),
                State: state,
                Attempts: reader.GetInt32(5),
                LastStatusCode: reader.IsDBNull(6) ? null : reader.GetInt32(6),
                NextAttemptAt: state == DeliveryStates.Pending ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)) : null,
                CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                UpdatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9))));
        }

        return new IndexPage<DeliveryLogEntry>(count, results);
    }

    // PostgreSQL stores uuids natively; SQLite stores them as lower-case text (a Guid parameter would bind as a blob).
    private void AddGuid(DbCommand command, string name, Guid value)
    {
        if (database.Kind == DatabaseKind.PostgreSql)
        {
            AddParameter(command, name, value, DbType.Guid);
        }
        else
        {
            AddParameter(command, name, value.ToString("D", CultureInfo.InvariantCulture), DbType.String);
        }
    }

    private Guid ReadGuid(DbDataReader reader, int ordinal) =>
        database.Kind == DatabaseKind.PostgreSql
            ? reader.GetGuid(ordinal)
            : Guid.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);

    private static void AddParameter(DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
