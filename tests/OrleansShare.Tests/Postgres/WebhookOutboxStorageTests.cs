using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// The webhook outbox's claim on real PostgreSQL and real SQLite, with delivery rows laid out by hand: a delivery is
/// claimed only when it is due, unleased, the first pending one of its session at its destination, and within its
/// destination's concurrency (leases in flight included); a claimed delivery is not claimed again while leased. And
/// on PostgreSQL the dispatcher's bookkeeping connections commit without waiting for the WAL flush, the others with.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class WebhookOutboxStorageTests(PostgresServer server) : IAsyncLifetime
{
    private const long Now = 1_000_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-outbox-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<DatabaseKind, Database> _databases = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _databases[DatabaseKind.PostgreSql] = Database.ForPostgreSql(await server.CreateDatabaseAsync(Cancel), "outbox-tests");
        _databases[DatabaseKind.Sqlite] = Database.ForSqlite(Path.Combine(_directory, "orleansshare.db"), "outbox-tests");
        foreach (var database in _databases.Values)
        {
            await SchemaInstaller.ApplyAsync(database, NullLogger.Instance, Cancel);
        }
    }

    public static TheoryData<DatabaseKind> Kinds() => [.. Enum.GetValues<DatabaseKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AClaimTakesOnlyDueFirstOfSessionDeliveriesWithinTheDestinationsConcurrency(DatabaseKind kind)
    {
        var database = _databases[kind];
        var outbox = new WebhookOutbox(database);
        var (busy, free) = (Guid.NewGuid(), Guid.NewGuid());
        var (s1, s2, s3, s4, s5) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        // Destination "busy": one delivery leased (in flight); s1's first event not yet due blocks its second;
        // s2 and s3 due, s2 the earlier.
        var leased = await InsertAsync(database, busy, s4, sequence: 1, nextAttemptAtMs: Now - 50, leaseUntilMs: Now + 60_000);
        await InsertAsync(database, busy, s1, sequence: 1, nextAttemptAtMs: Now + 60_000, leaseUntilMs: 0);
        var blocked = await InsertAsync(database, busy, s1, sequence: 2, nextAttemptAtMs: Now - 100, leaseUntilMs: 0);
        var s2First = await InsertAsync(database, busy, s2, sequence: 1, nextAttemptAtMs: Now - 30, leaseUntilMs: 0);
        var s3First = await InsertAsync(database, busy, s3, sequence: 1, nextAttemptAtMs: Now - 20, leaseUntilMs: 0);

        // Destination "free": s5's two events, both due: only the first may go, the second waits for it.
        var s5First = await InsertAsync(database, free, s5, sequence: 1, nextAttemptAtMs: Now - 10, leaseUntilMs: 0);
        var s5Second = await InsertAsync(database, free, s5, sequence: 2, nextAttemptAtMs: Now - 10, leaseUntilMs: 0);

        var claimed = await outbox.ClaimAsync(limit: 10, perDestination: 2, Now, leaseUntilMs: Now + 30_000, Cancel);

        // "busy" has one in flight and may have two: only s2's (the earliest due) is added. Never s1's second event,
        // nor the one leased already.
        Assert.Equal([s2First, s5First], claimed.OrderBy(d => d.DestinationId == busy ? 0 : 1).Select(d => d.EventId).ToArray());
        Assert.DoesNotContain(claimed, d => d.EventId == blocked || d.EventId == leased || d.EventId == s3First || d.EventId == s5Second);

        // Leased now: a second claim at the same time takes nothing more from "busy" (two in flight) nor s5's second.
        Assert.Empty(await outbox.ClaimAsync(limit: 10, perDestination: 2, Now, leaseUntilMs: Now + 30_000, Cancel));

        // Once s5's first is delivered, its second is the next to go.
        var first = claimed.Single(d => d.EventId == s5First);
        await outbox.RecordAttemptsAsync([(first, new DeliveryAttempt(DeliveryStates.Delivered, 200, null, Now, Now))], Cancel);
        var next = await outbox.ClaimAsync(limit: 10, perDestination: 2, Now, leaseUntilMs: Now + 30_000, Cancel);
        Assert.Equal([s5Second], next.Select(d => d.EventId).ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AFirstEventIsLeftToItsSiloUntilTheGraceAndItsAttemptIsRecordedWithItsDelivery(DatabaseKind kind)
    {
        var database = _databases[kind];
        var outbox = new WebhookOutbox(database);
        const long handedBefore = Now - 40_000;
        var (fresh, orphaned, later) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        // A first event just stored (its silo is attempting it), a first event stored before the grace (its silo never
        // recorded it), and a session's second event stored just now behind its first.
        var freshFirst = await InsertEventAsync(database, fresh, sequence: 1, recordedAtMs: Now - 5);
        var orphanedFirst = await InsertEventAsync(database, orphaned, sequence: 1, recordedAtMs: handedBefore - 1);
        var laterFirst = await InsertEventAsync(database, later, sequence: 1, recordedAtMs: Now - 5);
        var laterSecond = await InsertEventAsync(database, later, sequence: 2, recordedAtMs: Now - 4);

        // Only the orphan is listed: neither a first event within its grace nor an event behind one.
        var listed = await outbox.ListEventsAsync(10, handedBefore, Cancel);
        Assert.Equal([orphanedFirst], listed.Select(e => e.EventId).ToArray());

        // The fresh event's silo records its attempts: a delivered one and a failed one to be retried, with the event
        // removed in the same transaction. An event removed already (fanned out by another silo) gets no delivery here.
        var (delivered, retried) = (Guid.NewGuid(), Guid.NewGuid());
        var freshEvent = new OutboxEvent(freshFirst, Guid.NewGuid(), fresh, 1, "status.updated", "Approved", Now - 10);
        var goneEvent = new OutboxEvent(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), 1, "status.updated", "Approved", Now - 10);
        var inserted = await outbox.FanOutAsync(
            [freshEvent, goneEvent],
            [
                new NewDelivery(freshEvent, delivered, new DeliveryAttempt(DeliveryStates.Delivered, 204, null, Now, Now)),
                new NewDelivery(freshEvent, retried, new DeliveryAttempt(DeliveryStates.Pending, 503, "The destination answered 503.", Now + 10_000, Now)),
                new NewDelivery(goneEvent, delivered, new DeliveryAttempt(DeliveryStates.Delivered, 200, null, Now, Now)),
            ],
            Now,
            Cancel);
        Assert.Equal(2, inserted);
        var rows = await DeliveriesAsync(database, freshFirst);
        Assert.Equal([(delivered, "delivered", 1, (long?)204), (retried, "pending", 1, (long?)503)], rows.OrderBy(r => r.State).ToArray());
        Assert.Empty(await DeliveriesAsync(database, goneEvent.EventId));

        // The retried delivery is not due yet; once it is, it is claimed like any other, as a second attempt.
        Assert.DoesNotContain(await outbox.ClaimAsync(10, 16, Now, Now + 30_000, Cancel), d => d.EventId == freshFirst);
        var claimed = Assert.Single(await outbox.ClaimAsync(10, 16, Now + 10_000, Now + 40_000, Cancel), d => d.EventId == freshFirst);
        Assert.Equal((retried, 1), (claimed.DestinationId, claimed.Attempts));

        // The session behind the fresh one is listed once its first event has been removed, and not before.
        Assert.DoesNotContain(laterSecond, (await outbox.ListEventsAsync(10, handedBefore, Cancel)).Select(e => e.EventId));
        var laterEvent = new OutboxEvent(laterFirst, Guid.NewGuid(), later, 1, "status.updated", "Approved", Now - 10);
        await outbox.FanOutAsync([laterEvent], [], Now, Cancel);
        Assert.Contains(laterSecond, (await outbox.ListEventsAsync(10, handedBefore, Cancel)).Select(e => e.EventId));
    }

    [Fact]
    public async Task OnPostgreSqlOnlyBookkeepingConnectionsCommitWithoutWaitingForTheWalFlush()
    {
        var database = _databases[DatabaseKind.PostgreSql];
        await using (var bookkeeping = await database.OpenBookkeepingConnectionAsync(Cancel))
        {
            Assert.Equal("off", await ShowAsync(bookkeeping, "synchronous_commit"));
        }

        await using var ordinary = await database.OpenConnectionAsync(Cancel);
        Assert.Equal("on", await ShowAsync(ordinary, "synchronous_commit"));
    }

    private static async Task<string?> ShowAsync(DbConnection connection, string setting)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SHOW {setting}";
        return (string?)await command.ExecuteScalarAsync(Cancel);
    }

    /// <summary>A pending delivery row; returns its event id.</summary>
    private static async Task<Guid> InsertAsync(Database database, Guid destinationId, Guid sessionId, long sequence, long nextAttemptAtMs, long leaseUntilMs)
    {
        var eventId = Guid.NewGuid();
        await using var connection = await database.OpenConnectionAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO webhook_delivery
                (service_id, event_id, destination_id, application_id, session_id, sequence, event_type, status, occurred_at_ms,
                 state, attempts, next_attempt_at_ms, lease_until_ms, created_at_ms, updated_at_ms)
            VALUES (@ServiceId, @EventId, @DestinationId, @ApplicationId, @SessionId, @Sequence, 'status.updated', 'Approved', @Now,
                    'pending', 0, @NextAttemptAtMs, @LeaseUntilMs, @Now, @Now)
            """;
        Add(command, "@ServiceId", database.ServiceId);
        Add(command, "@EventId", Id(database, eventId));
        Add(command, "@DestinationId", Id(database, destinationId));
        Add(command, "@ApplicationId", Id(database, Guid.NewGuid()));
        Add(command, "@SessionId", Id(database, sessionId));
        Add(command, "@Sequence", sequence);
        Add(command, "@Now", Now);
        Add(command, "@NextAttemptAtMs", nextAttemptAtMs);
        Add(command, "@LeaseUntilMs", leaseUntilMs);
        await command.ExecuteNonQueryAsync(Cancel);
        return eventId;
    }

    /// <summary>An outbox row, as a session write stores it; returns its event id.</summary>
    private static async Task<Guid> InsertEventAsync(Database database, Guid sessionId, long sequence, long recordedAtMs)
    {
        var eventId = Guid.NewGuid();
        await using var connection = await database.OpenConnectionAsync(Cancel);
        await using var command = connection.CreateCommand();
        // An application with a destination (SQLite's trigger drops the events of others).
        command.CommandText = """
            INSERT INTO webhook_subscriber (service_id, application_id) VALUES (@ServiceId, @ApplicationId);
            INSERT INTO webhook_event
                (service_id, event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, recorded_at_ms)
            VALUES (@ServiceId, @EventId, @ApplicationId, @SessionId, @Sequence, 'status.updated', 'Approved', @RecordedAtMs, @RecordedAtMs)
            """;
        Add(command, "@ServiceId", database.ServiceId);
        Add(command, "@EventId", Id(database, eventId));
        Add(command, "@ApplicationId", Id(database, Guid.NewGuid()));
        Add(command, "@SessionId", Id(database, sessionId));
        Add(command, "@Sequence", sequence);
        Add(command, "@RecordedAtMs", recordedAtMs);
        await command.ExecuteNonQueryAsync(Cancel);
        return eventId;
    }

    /// <summary>The deliveries of one event: destination, state, attempts and last status code.</summary>
    private static async Task<List<(Guid DestinationId, string State, int Attempts, long? StatusCode)>> DeliveriesAsync(Database database, Guid eventId)
    {
        await using var connection = await database.OpenConnectionAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT destination_id, state, attempts, last_status_code FROM webhook_delivery
            WHERE service_id = @ServiceId AND event_id = @EventId
            """;
        Add(command, "@ServiceId", database.ServiceId);
        Add(command, "@EventId", Id(database, eventId));
        var rows = new List<(Guid, string, int, long?)>();
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            var destination = database.Kind == DatabaseKind.PostgreSql ? reader.GetGuid(0) : Guid.Parse(reader.GetString(0), CultureInfo.InvariantCulture);
            rows.Add((destination, reader.GetString(1), Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
                reader.IsDBNull(3) ? null : Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    // PostgreSQL stores uuids natively, SQLite as lower-case text.
    private static object Id(Database database, Guid id) =>
        database.Kind == DatabaseKind.PostgreSql ? id : id.ToString("D", CultureInfo.InvariantCulture);

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _databases.Values)
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
