using System.Globalization;
using Orleans.Storage;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Storage.GroupCommit;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// The group-commit grain storage on real PostgreSQL and real SQLite: it shares rows with the stock ADO.NET provider
/// both ways, commits concurrent writes in fewer transactions, keeps every row's version check, isolates a failing
/// row, and keeps its batch bounds. Each test uses a fresh state name, so its rows are its own.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class GroupCommitStorageTests(GroupCommitFixture fixture, ITestOutputHelper output) : IClassFixture<GroupCommitFixture>
{
    public static TheoryData<DatabaseKind, string, bool> Handoffs()
    {
        var data = new TheoryData<DatabaseKind, string, bool>();
        foreach (var kind in Enum.GetValues<DatabaseKind>())
        {
            foreach (var key in KeyKinds)
            {
                data.Add(kind, key, true);
                data.Add(kind, key, false);
            }
        }

        return data;
    }

    public static TheoryData<DatabaseKind, string> KeysPerDatabase()
    {
        var data = new TheoryData<DatabaseKind, string>();
        foreach (var kind in Enum.GetValues<DatabaseKind>())
        {
            foreach (var key in KeyKinds)
            {
                data.Add(kind, key);
            }
        }

        return data;
    }

    private static readonly string[] KeyKinds = ["guid", "guid+extension", "string", "hex-looking string"];

    [Theory]
    [MemberData(nameof(Handoffs))]
    public async Task EachProviderReadsWritesAndClearsWhatTheOtherWrote(DatabaseKind kind, string keyKind, bool groupCommitFirst)
    {
        var backend = fixture[kind];
        var (first, second) = groupCommitFirst ? (backend.GroupCommit, backend.Stock) : (backend.Stock, (IGrainStorage)backend.GroupCommit);
        var stateName = NewStateName();
        var grain = NewGrainId(keyKind);

        var created = new GrainState<ProbeState> { State = new ProbeState { Name = "created", Count = 1 } };
        await first.WriteStateAsync(stateName, grain, created);
        var read = await ReadAsync<ProbeState>(second, stateName, grain);
        var readSeen = (read.ETag, read.RecordExists, read.State);
        read.State = read.State! with { Count = 2 };
        await second.WriteStateAsync(stateName, grain, read);
        var readBack = await ReadAsync<ProbeState>(first, stateName, grain);
        var readBackSeen = (readBack.ETag, readBack.RecordExists, readBack.State);
        readBack.State = readBack.State! with { Count = 3 };
        await first.WriteStateAsync(stateName, grain, readBack);
        await first.ClearStateAsync(stateName, grain, readBack);
        var cleared = await ReadAsync<ProbeState>(second, stateName, grain);
        var clearedSeen = (cleared.ETag, cleared.RecordExists, cleared.State);
        cleared.State = cleared.State! with { Name = "after clear", Count = 4 };
        await second.WriteStateAsync(stateName, grain, cleared);
        var last = await ReadAsync<ProbeState>(first, stateName, grain);

        Assert.Equal(("1", true, new ProbeState { Name = "created", Count = 1 }), readSeen);
        Assert.Equal(("2", true, new ProbeState { Name = "created", Count = 2 }), readBackSeen);
        Assert.Equal(("4", false, new ProbeState()), clearedSeen);
        Assert.Equal(("5", true, new ProbeState { Name = "after clear", Count = 4 }), (last.ETag, last.RecordExists, last.State));
        var row = Assert.Single(await backend.RowsAsync(stateName));
        Assert.Equal(5, row.Version);
    }

    [Theory]
    [MemberData(nameof(KeysPerDatabase))]
    public async Task RowsAreByteIdenticalToTheStockProvidersRows(DatabaseKind kind, string keyKind)
    {
        var backend = fixture[kind];
        var stateName = NewStateName();
        var grain = NewGrainId(keyKind);
        var value = new ProbeState { Name = "Español, 日本語 and \"quotes\"", Count = 7 };

        var stockState = new GrainState<ProbeState> { State = value };
        await backend.Stock.WriteStateAsync(stateName, grain, stockState);
        var stockWritten = Assert.Single(await backend.RowsAsync(stateName));
        await backend.Stock.ClearStateAsync(stateName, grain, stockState);
        var stockCleared = Assert.Single(await backend.RowsAsync(stateName));
        await backend.DeleteRowsAsync(stateName);
        var groupState = new GrainState<ProbeState> { State = value };
        await backend.GroupCommit.WriteStateAsync(stateName, grain, groupState);
        var groupWritten = Assert.Single(await backend.RowsAsync(stateName));
        await backend.GroupCommit.ClearStateAsync(stateName, grain, groupState);
        var groupCleared = Assert.Single(await backend.RowsAsync(stateName));

        Assert.Equal(stockWritten, groupWritten);
        Assert.Equal(stockCleared, groupCleared);
        Assert.Null(groupCleared.PayloadHex);
        Assert.Equal(2, groupCleared.Version);
        Assert.Equal((stockState.ETag, stockState.RecordExists, stockState.State), (groupState.ETag, groupState.RecordExists, groupState.State));
    }

    [Theory]
    [InlineData(DatabaseKind.PostgreSql)]
    [InlineData(DatabaseKind.Sqlite)]
    public async Task ConcurrentWritesOfManyGrainsShareTransactionsAndAllReadBack(DatabaseKind kind)
    {
        const int Grains = 200;
        var backend = fixture[kind];
        var stateName = NewStateName();
        var grains = Enumerable.Range(0, Grains)
            .Select(i => (Id: NewGrainId("string"), State: new GrainState<ProbeState> { State = new ProbeState { Name = $"grain {i}", Count = i } }))
            .ToList();
        var transactionsBefore = backend.GroupCommit.Statistics.Transactions;

        await Task.WhenAll(grains.Select(g => backend.GroupCommit.WriteStateAsync(stateName, g.Id, g.State)));
        await Task.WhenAll(grains.Select(g =>
        {
            g.State.State = g.State.State! with { Count = g.State.State!.Count + 1000 };
            return backend.GroupCommit.WriteStateAsync(stateName, g.Id, g.State);
        }));
        var transactions = backend.GroupCommit.Statistics.Transactions - transactionsBefore;

        output.WriteLine($"{kind}: {2 * Grains} writes in {transactions} transactions ({(double)transactions / (2 * Grains):F3} per write)");
        Assert.InRange(transactions, 2, Grains);
        foreach (var (id, state) in grains)
        {
            var stored = await ReadAsync<ProbeState>(backend.Stock, stateName, id);
            Assert.Equal((state.State, "2"), (stored.State, stored.ETag));
        }

        Assert.Equal(Grains, (await backend.RowsAsync(stateName)).Count);
    }

    [Theory]
    [InlineData(DatabaseKind.PostgreSql)]
    [InlineData(DatabaseKind.Sqlite)]
    public async Task AStaleWriteFailsAloneAndTheRestOfItsBatchCommits(DatabaseKind kind)
    {
        var backend = fixture[kind];
        var storage = backend.GroupCommit;
        var stateName = NewStateName();
        var blocker = await CreateAsync(storage, stateName, "blocker");
        var neighbours = await CreateNeighboursAsync(storage, stateName, 6);

        var (contested, winner) = await CreateAsync(storage, stateName, "contested");
        var stale = await ReadAsync<ProbeState>(storage, stateName, contested);
        winner.State = winner.State! with { Name = "winner" };
        await storage.WriteStateAsync(stateName, contested, winner);
        var retriedBefore = storage.Statistics.BatchesRetriedAlone;
        var transactionsBefore = storage.Statistics.Transactions;

        // Held at the database, the blocker's batch keeps every later write waiting, so the stale write goes out in one
        // batch with neighbours written before it or after it, or both.
        Task blocked, staleWrite;
        List<Task> neighbourWrites;
        await using (await backend.HoldWritesAsync(stateName, ExtensionOf(blocker.Id)))
        {
            blocked = Update(storage, stateName, blocker);
            neighbourWrites = [.. neighbours.Take(3).Select(n => Update(storage, stateName, n))];
            stale.State = stale.State! with { Name = "stale" };
            staleWrite = storage.WriteStateAsync(stateName, contested, stale);
            neighbourWrites.AddRange(neighbours.Skip(3).Select(n => Update(storage, stateName, n)));

            Assert.All([blocked, staleWrite, .. neighbourWrites], t => Assert.False(t.IsCompleted, "answered before its batch committed"));
        }

        await blocked;
        await Task.WhenAll(neighbourWrites);
        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        Assert.Equal(retriedBefore, storage.Statistics.BatchesRetriedAlone);
        Assert.InRange(storage.Statistics.Transactions - transactionsBefore, 1, 2);
        await AssertUpdatedAsync(backend, stateName, neighbours);

        var contestedRow = await ReadAsync<ProbeState>(backend.Stock, stateName, contested);
        Assert.Equal(("winner", "2"), (contestedRow.State!.Name, contestedRow.ETag));
        Assert.Equal("1", stale.ETag);
    }

    [Theory]
    [InlineData(DatabaseKind.PostgreSql)]
    [InlineData(DatabaseKind.Sqlite)]
    public async Task ARowTheSessionIndexRejectsFailsAloneAndItsNeighboursCommit(DatabaseKind kind)
    {
        var backend = fixture[kind];
        var storage = backend.GroupCommit;
        var stateName = NewStateName();
        var blocker = await CreateAsync(storage, stateName, "blocker");
        var neighbours = await CreateNeighboursAsync(storage, stateName, 4);

        var goodSessionId = Guid.NewGuid();
        var goodSession = new GrainState<Dictionary<string, object?>> { State = SessionPayload(goodSessionId, Guid.NewGuid().ToString()) };
        var badSessionId = Guid.NewGuid();
        var badSession = new GrainState<Dictionary<string, object?>> { State = SessionPayload(badSessionId, "not-a-uuid") };
        badSession.State!.Remove("session_number");
        var retriedBefore = storage.Statistics.BatchesRetriedAlone;

        Task blocked, goodWrite, badWrite;
        List<Task> neighbourWrites;
        await using (await backend.HoldWritesAsync(stateName, ExtensionOf(blocker.Id)))
        {
            blocked = Update(storage, stateName, blocker);
            neighbourWrites = [.. neighbours.Take(2).Select(n => Update(storage, stateName, n))];
            goodWrite = storage.WriteStateAsync(StateNames.Session, SessionGrain(goodSessionId), goodSession);
            badWrite = storage.WriteStateAsync(StateNames.Session, SessionGrain(badSessionId), badSession);
            neighbourWrites.AddRange(neighbours.Skip(2).Select(n => Update(storage, stateName, n)));
        }

        await Task.WhenAll([blocked, goodWrite, .. neighbourWrites]);
        var failure = await Assert.ThrowsAnyAsync<OrleansException>(() => badWrite);
        output.WriteLine($"{kind}: the rejected row failed with {failure.GetType().Name}: {failure.Message}");
        Assert.IsNotType<InconsistentStateException>(failure);
        Assert.Equal(retriedBefore + 1, storage.Statistics.BatchesRetriedAlone);
        Assert.Null(badSession.ETag);
        Assert.False((await ReadAsync<Dictionary<string, object?>>(backend.Stock, StateNames.Session, SessionGrain(badSessionId))).RecordExists);
        Assert.Equal(0, await backend.CountIndexedSessionsAsync(badSessionId));
        Assert.Equal("1", goodSession.ETag);
        Assert.Equal(1, await backend.CountIndexedSessionsAsync(goodSessionId));
        await AssertUpdatedAsync(backend, stateName, neighbours);
    }

    [Theory]
    [InlineData(DatabaseKind.PostgreSql)]
    [InlineData(DatabaseKind.Sqlite)]
    public async Task OverlappingFirstWritesOfOneGrainLetExactlyOneWin(DatabaseKind kind)
    {
        var backend = fixture[kind];
        var stateName = NewStateName();
        var grain = NewGrainId("string");
        IGrainStorage[] writers = [backend.GroupCommit, backend.GroupCommit, backend.GroupCommit, backend.CountBounded, backend.Stock];

        // Each write starts on the thread pool: the stock provider on SQLite blocks its caller while it waits for the file.
        var outcomes = await Task.WhenAll(writers.Select((storage, i) => Task.Run(async () =>
        {
            var state = new GrainState<ProbeState> { State = new ProbeState { Name = $"writer {i}" } };
            try
            {
                await storage.WriteStateAsync(stateName, grain, state);
                return state.State!.Name;
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        })));

        var winner = Assert.Single(outcomes, name => name is not null);
        var stored = await ReadAsync<ProbeState>(backend.GroupCommit, stateName, grain);
        Assert.Equal((winner, "1"), (stored.State!.Name, stored.ETag));
        Assert.Single(await backend.RowsAsync(stateName));
    }

    [Theory]
    [InlineData(DatabaseKind.PostgreSql)]
    [InlineData(DatabaseKind.Sqlite)]
    public async Task BatchesNeverExceedTheirOperationOrByteBound(DatabaseKind kind)
    {
        var backend = fixture[kind];
        var stateName = NewStateName();
        // 3 KB payloads (the blocker's too): two fit in the byte bound (8 KB), three do not.
        var filler = new string('x', 3 * 1024);

        await WriteManyWhileHeldAsync(backend, backend.CountBounded, stateName, "count", 40, filler: "");
        await WriteManyWhileHeldAsync(backend, backend.BytesBounded, stateName, "bytes", 20, filler);

        Assert.Equal(GroupCommitBackend.CountBound, backend.CountBounded.Statistics.LargestBatch);
        Assert.Equal(2, backend.BytesBounded.Statistics.LargestBatch);
        Assert.Equal(40 + 20 + 2, (await backend.RowsAsync(stateName)).Count);
    }

    [Fact]
    public async Task WhenTheDatabaseCannotBeReachedEveryOperationOfTheBatchFails()
    {
        var storage = fixture[DatabaseKind.PostgreSql].Unreachable;
        var stateName = NewStateName();

        var operations = Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? storage.WriteStateAsync(stateName, NewGrainId("string"), new GrainState<ProbeState> { State = new ProbeState { Count = i } })
            : storage.ReadStateAsync(stateName, NewGrainId("guid"), new GrainState<ProbeState>())).ToList();
        var failures = await Task.WhenAll(operations.Select(o => Assert.ThrowsAnyAsync<OrleansException>(() => o)));

        Assert.All(failures, f => Assert.IsNotType<InconsistentStateException>(f));
        Assert.Equal(0, storage.Statistics.Transactions);
    }

    /// <summary>
    /// On PostgreSQL the group-commit writer sends a session write's rows beside grain state itself (and skips an index
    /// row that has not changed) where the stock provider leaves them to the storage trigger: the same session writes
    /// through either leave the same index, redemption, ledger and outbox rows.
    /// </summary>
    [Fact]
    public async Task SessionWritesLeaveTheSameRowsBesideStateAsTheStockProvidersTrigger()
    {
        var backend = fixture[DatabaseKind.PostgreSql];
        var (applicationId, partnerId, sourceId, cloneId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var tokenKey = "token-" + Guid.NewGuid().ToString("N");
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 123, TimeSpan.Zero);
        await backend.ExecuteAsync("INSERT INTO webhook_subscriber (service_id, application_id) VALUES (@Service, @A) ON CONFLICT DO NOTHING", ("@A", applicationId));
        var minted = new SessionState
        {
            SessionId = sourceId, ApplicationId = applicationId, SessionNumber = 7, SessionKind = SessionKind.User, Status = "Approved",
            VendorData = "vendor-7", WorkflowId = Guid.NewGuid(), CreatedAt = at, PendingRedemption = tokenKey,
            Ledger = new LedgerChange
            {
                Change = LedgerChange.Minted, TokenId = tokenKey, PartnerApplicationId = partnerId, Purpose = "account_opening",
                Scope = "id_verifications,aml_screenings", Consent = new ShareConsent(at, "checkbox", "ref-1"), At = at, ExpiresAt = at.AddHours(1),
            },
            Events = [new SessionEvent(Guid.NewGuid(), 1, "status.updated", "Approved", at)],
        };
        var clone = new SessionState
        {
            SessionId = cloneId, ApplicationId = partnerId, SessionNumber = 1, SessionKind = SessionKind.User, Status = "In Review",
            CreatedAt = at.AddSeconds(1), SharedFromSession = sourceId, CompletedRedemption = tokenKey,
            Ledger = new LedgerChange { Change = LedgerChange.Redeemed, TokenId = tokenKey, PartnerApplicationId = partnerId, At = at.AddSeconds(1), ImportedSessionId = cloneId },
            Events = [new SessionEvent(Guid.NewGuid(), 1, "status.updated", "In Review", at.AddSeconds(1))],
        };
        var declined = minted with
        {
            Status = "Declined", PendingRedemption = null, Ledger = null,
            Events = [new SessionEvent(Guid.NewGuid(), 2, "status.updated", "Declined", at.AddSeconds(2))],
        };
        var commented = declined with { Events = [], VendorData = "vendor-7" }; // nothing the index holds changes
        var deleted = commented with { Deleted = true };

        var snapshots = new List<(string Written, string Deleted)>();
        foreach (var storage in new[] { backend.Stock, backend.GroupCommit })
        {
            var source = new GrainState<SessionState> { State = minted };
            await storage.WriteStateAsync(StateNames.Session, SessionGrain(sourceId), source);
            await storage.WriteStateAsync(StateNames.Session, SessionGrain(cloneId), new GrainState<SessionState> { State = clone });
            foreach (var next in new[] { declined, commented })
            {
                source.State = next;
                await storage.WriteStateAsync(StateNames.Session, SessionGrain(sourceId), source);
            }

            var written = await SideRowsAsync(backend, sourceId, cloneId, tokenKey);
            source.State = deleted;
            await storage.WriteStateAsync(StateNames.Session, SessionGrain(sourceId), source);
            snapshots.Add((written, await SideRowsAsync(backend, sourceId, cloneId, tokenKey)));
            output.WriteLine($"{(storage == backend.Stock ? "stock" : "group commit")}:\n{written}");

            foreach (var table in new[] { "session_index", "webhook_event" })
            {
                await backend.ExecuteAsync($"DELETE FROM {table} WHERE service_id = @Service AND session_id IN (@A, @B)", ("@A", sourceId), ("@B", cloneId));
            }

            await backend.ExecuteAsync("DELETE FROM redemption_part WHERE service_id = @Service AND token_key = @T", ("@T", tokenKey));
            await backend.ExecuteAsync("DELETE FROM share_ledger WHERE service_id = @Service AND token_id = @T", ("@T", tokenKey));
            await backend.ExecuteAsync(
                "DELETE FROM orleansstorage WHERE graintypestring = 'session' AND (convert_from(payloadbinary, 'UTF8') LIKE '%' || @T || '%' OR convert_from(payloadbinary, 'UTF8') LIKE '%' || @A::text || '%')",
                ("@A", sourceId), ("@T", tokenKey));
        }

        Assert.Contains("index|" + sourceId, snapshots[0].Written, StringComparison.Ordinal);
        Assert.Contains("ledger|", snapshots[0].Written, StringComparison.Ordinal);
        Assert.DoesNotContain("index|" + sourceId, snapshots[0].Deleted, StringComparison.Ordinal);
        Assert.Equal(snapshots[0], snapshots[1]);
    }

    /// <summary>The rows beside state of one source session, its clone and their token, one line each, in a fixed order.</summary>
    private static async Task<string> SideRowsAsync(GroupCommitBackend backend, Guid sourceId, Guid cloneId, string tokenKey)
    {
        const string Sql = """
            SELECT 'index|' || session_id || '|' || application_id || '|' || session_number || '|' || session_kind || '|' || status
                   || '|' || COALESCE(vendor_data, '-') || '|' || COALESCE(workflow_id::text, '-') || '|' || created_at_ms
            FROM session_index WHERE service_id = @Service AND session_id IN (@A, @B)
            UNION ALL
            SELECT 'part|' || part || '|' || source_session_id || '|' || COALESCE(clone_session_id::text, '-')
            FROM redemption_part WHERE service_id = @Service AND token_key = @T
            UNION ALL
            SELECT 'ledger|' || concat_ws('|', source_application_id, partner_application_id, session_id, session_kind, purpose, scope,
                   consent_obtained_at_ms, consent_method, consent_reference, created_at_ms, expires_at_ms, redeemed_at_ms,
                   imported_session_id, revoked_at_ms)
            FROM share_ledger WHERE service_id = @Service AND token_id = @T
            UNION ALL
            SELECT 'event|' || concat_ws('|', event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms)
            FROM webhook_event WHERE service_id = @Service AND session_id IN (@A, @B)
            ORDER BY 1
            """;
        return string.Join('\n', await backend.QueryTextAsync(Sql, ("@A", sourceId), ("@B", cloneId), ("@T", tokenKey)));
    }

    /// <summary>Creates a row for a blocker grain, holds its writes, and queues <paramref name="count"/> first writes behind it.</summary>
    private static async Task WriteManyWhileHeldAsync(GroupCommitBackend backend, GroupCommitGrainStorage storage, string stateName, string label, int count, string filler)
    {
        var (blocker, blockerState) = await CreateAsync(storage, stateName, $"{label} blocker");
        var writes = new List<Task>();
        await using (await backend.HoldWritesAsync(stateName, ExtensionOf(blocker)))
        {
            blockerState.State = blockerState.State! with { Count = 1, Filler = filler };
            writes.Add(storage.WriteStateAsync(stateName, blocker, blockerState));
            writes.AddRange(Enumerable.Range(0, count).Select(i => storage.WriteStateAsync(stateName, NewGrainId("string"),
                new GrainState<ProbeState> { State = new ProbeState { Name = $"{label} {i}", Filler = filler } })));
        }

        await Task.WhenAll(writes);
    }

    private static async Task<List<(GrainId Id, GrainState<ProbeState> State)>> CreateNeighboursAsync(GroupCommitGrainStorage storage, string stateName, int count)
    {
        var neighbours = new List<(GrainId Id, GrainState<ProbeState> State)>();
        for (var i = 0; i < count; i++)
        {
            neighbours.Add(await CreateAsync(storage, stateName, $"neighbour {i}"));
        }

        return neighbours;
    }

    /// <summary>Each grain's second version is stored (read back through the stock provider) and is what the grain holds.</summary>
    private static async Task AssertUpdatedAsync(GroupCommitBackend backend, string stateName, List<(GrainId Id, GrainState<ProbeState> State)> grains)
    {
        foreach (var (id, state) in grains)
        {
            var stored = await ReadAsync<ProbeState>(backend.Stock, stateName, id);
            Assert.Equal((state.State, "2"), (stored.State, stored.ETag));
            Assert.Equal("2", state.ETag);
        }
    }

    private static Task Update(GroupCommitGrainStorage storage, string stateName, (GrainId Id, GrainState<ProbeState> State) grain)
    {
        grain.State.State = grain.State.State! with { Count = grain.State.State!.Count + 1 };
        return storage.WriteStateAsync(stateName, grain.Id, grain.State);
    }

    private static async Task<(GrainId Id, GrainState<ProbeState> State)> CreateAsync(GroupCommitGrainStorage storage, string stateName, string name)
    {
        var id = NewGrainId("string");
        var state = new GrainState<ProbeState> { State = new ProbeState { Name = name } };
        await storage.WriteStateAsync(stateName, id, state);
        return (id, state);
    }

    private static async Task<GrainState<T>> ReadAsync<T>(IGrainStorage storage, string stateName, GrainId grain)
    {
        var state = new GrainState<T>();
        await storage.ReadStateAsync(stateName, grain, state);
        return state;
    }

    private static string NewStateName() => "probe-" + Guid.NewGuid().ToString("N")[..12];

    private static GrainId NewGrainId(string keyKind) => keyKind switch
    {
        "guid" => GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid())),
        "guid+extension" => GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "ext-" + Guid.NewGuid().ToString("N")[..6])),
        "string" => GrainId.Create("probe", "k" + Guid.NewGuid().ToString("N")),
        // Orleans reads a key of hex digits as an integer key ("020235" becomes 0x20235): N1, not the extension.
        "hex-looking string" => GrainId.Create("probe", "0" + Random.Shared.NextInt64(1, 1L << 48).ToString(CultureInfo.InvariantCulture)),
        _ => throw new ArgumentOutOfRangeException(nameof(keyKind), keyKind, null),
    };

    /// <summary>The key extension the storage row of a plain string-keyed grain carries: the whole key.</summary>
    private static string ExtensionOf(GrainId grain) => grain.Key.ToString()!;

    private static GrainId SessionGrain(Guid sessionId) => GrainId.Create(GrainType.Create("session"), GrainIdKeyExtensions.CreateGuidKey(sessionId));

    /// <summary>A session state as the index trigger reads it (snake_case JSON).</summary>
    private static Dictionary<string, object?> SessionPayload(Guid sessionId, string applicationId) => new()
    {
        ["application_id"] = applicationId,
        ["session_id"] = sessionId,
        ["session_number"] = 1,
        ["session_kind"] = "user",
        ["status"] = "not_started",
        ["vendor_data"] = null,
        ["workflow_id"] = null,
        ["created_at"] = "2026-11-30T12:00:00.000Z",
    };
}
