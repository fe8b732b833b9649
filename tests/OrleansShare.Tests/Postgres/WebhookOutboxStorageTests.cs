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
