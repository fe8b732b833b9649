using System.Data;
using System.Globalization;

namespace OrleansShare.Silo.Storage;

/// <summary>
/// Lists sessions and entities from the <c>session_index</c> table, the read model that triggers on the grain
/// storage table keep in step with every session write. Always scoped to the database's ServiceId; every value
/// is a parameter. One command returns the total count and the page.
/// </summary>
public sealed class SessionIndexQuery(Database database)
{
    // Optional filters are "@X IS NULL OR column = @X": the text stays constant, PostgreSQL folds the
    // unused predicates away when it plans with the actual values, and the listing index serves the order.
    private const string SessionsWhere = """
        service_id = @ServiceId
          AND application_id = @ApplicationId
          AND (@Status IS NULL OR status = @Status)
          AND (@SessionKind IS NULL OR session_kind = @SessionKind)
          AND (@VendorData IS NULL OR vendor_data = @VendorData)
          AND (@WorkflowId IS NULL OR workflow_id = @WorkflowId)
          AND (@DateFromMs IS NULL OR created_at_ms >= @DateFromMs)
          AND (@DateToMs IS NULL OR created_at_ms <= @DateToMs)
        """;

    private const string ListSessionsSql = $"""
        SELECT COUNT(*) FROM session_index
        WHERE {SessionsWhere};

        SELECT session_id, session_number, session_kind, status, vendor_data, workflow_id, created_at_ms
        FROM session_index
        WHERE {SessionsWhere}
        ORDER BY created_at_ms DESC, session_number DESC
        LIMIT @Limit OFFSET @Offset;
        """;

    private const string EntitiesWhere = """
        service_id = @ServiceId
          AND application_id = @ApplicationId
          AND session_kind = @SessionKind
          AND vendor_data IS NOT NULL
          AND (@VendorData IS NULL OR vendor_data = @VendorData)
        """;

    // The page of entities first (newest first entity, vendor_data breaking ties), then their sessions joined
    // back in entity order, oldest session first, at most @MaxSessionIds of each with how many it has; rows of one
    // entity arrive together.
    private const string ListEntitiesSql = $"""
        SELECT COUNT(DISTINCT vendor_data) FROM session_index
        WHERE {EntitiesWhere};

        WITH page AS (
            SELECT vendor_data, MIN(created_at_ms) AS first_created_at_ms
            FROM session_index
            WHERE {EntitiesWhere}
            GROUP BY vendor_data
            ORDER BY first_created_at_ms DESC, vendor_data
            LIMIT @Limit OFFSET @Offset
        )
        SELECT vendor_data, first_created_at_ms, session_id, session_count
        FROM (
            SELECT p.vendor_data, p.first_created_at_ms, s.session_id, s.created_at_ms, s.session_number,
                   ROW_NUMBER() OVER (PARTITION BY p.vendor_data ORDER BY s.created_at_ms, s.session_number) AS n,
                   COUNT(*) OVER (PARTITION BY p.vendor_data) AS session_count
            FROM page p
            JOIN session_index s
              ON s.service_id = @ServiceId
             AND s.application_id = @ApplicationId
             AND s.session_kind = @SessionKind
             AND s.vendor_data = p.vendor_data
        ) sessions
        WHERE n <= @MaxSessionIds
        ORDER BY first_created_at_ms DESC, vendor_data, created_at_ms, session_number;
        """;

    /// <summary>Session ids an entity answers with at most (its oldest); <c>session_count</c> says how many it has.</summary>
    public const int MaxSessionIdsPerEntity = 1000;

    public async Task<IndexPage<SessionIndexRow>> ListSessionsAsync(SessionListFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Offset);

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ListSessionsSql;
        command.AddParameter("ServiceId", database.ServiceId, DbType.String);
        command.AddGuid(database, "ApplicationId", filter.ApplicationId);
        command.AddParameter("Status", filter.Status, DbType.String);
        command.AddParameter("SessionKind", filter.SessionKind, DbType.String);
        command.AddParameter("VendorData", filter.VendorData, DbType.String);
        command.AddGuid(database, "WorkflowId", filter.WorkflowId);
        command.AddParameter("DateFromMs", filter.DateFrom?.ToUnixTimeMilliseconds(), DbType.Int64);
        command.AddParameter("DateToMs", filter.DateTo?.ToUnixTimeMilliseconds(), DbType.Int64);
        command.AddParameter("Limit", filter.Limit, DbType.Int32);
        command.AddParameter("Offset", filter.Offset, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = await reader.ReadCountAsync(ct);
        await reader.NextResultAsync(ct);

        var results = new List<SessionIndexRow>();
        while (await reader.ReadAsync(ct))
        {
            results.Add(new SessionIndexRow(
                SessionId: reader.ReadGuid(database, 0),
                SessionNumber: reader.GetInt64(1),
                SessionKind: reader.GetString(2),
                Status: reader.GetString(3),
                VendorData: reader.IsDBNull(4) ? null : reader.GetString(4),
                WorkflowId: reader.IsDBNull(5) ? null : reader.ReadGuid(database, 5),
                CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return new IndexPage<SessionIndexRow>(count, results);
    }

    public async Task<IndexPage<EntityIndexRow>> ListEntitiesAsync(EntityListFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentException.ThrowIfNullOrEmpty(filter.SessionKind);
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Offset);

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ListEntitiesSql;
        command.AddParameter("ServiceId", database.ServiceId, DbType.String);
        command.AddGuid(database, "ApplicationId", filter.ApplicationId);
        command.AddParameter("SessionKind", filter.SessionKind, DbType.String);
        command.AddParameter("VendorData", filter.VendorData, DbType.String);
        command.AddParameter("Limit", filter.Limit, DbType.Int32);
        command.AddParameter("Offset", filter.Offset, DbType.Int32);
        command.AddParameter("MaxSessionIds", MaxSessionIdsPerEntity, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = await reader.ReadCountAsync(ct);
        await reader.NextResultAsync(ct);

        var results = new List<EntityIndexRow>();
        long sessionCount = 0;
        string? vendorData = null;
        long createdAtMs = 0;
        List<Guid> sessionIds = [];
        while (await reader.ReadAsync(ct))
        {
            var rowVendorData = reader.GetString(0);
            if (vendorData is not null && !string.Equals(vendorData, rowVendorData, StringComparison.Ordinal))
            {
                results.Add(new EntityIndexRow(vendorData, sessionIds, sessionCount, DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs)));
                sessionIds = [];
            }

            vendorData = rowVendorData;
            createdAtMs = reader.GetInt64(1);
            sessionIds.Add(reader.ReadGuid(database, 2));
            sessionCount = Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture);
        }

        if (vendorData is not null)
        {
            results.Add(new EntityIndexRow(vendorData, sessionIds, sessionCount, DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs)));
        }

        return new IndexPage<EntityIndexRow>(count, results);
    }

    /// <summary>One entity of an application: its vendor_data and sessions, or null when no live session carries it.</summary>
    public async Task<EntityIndexRow?> GetEntityAsync(Guid applicationId, string sessionKind, string vendorData, CancellationToken ct)
    {
        var page = await ListEntitiesAsync(new EntityListFilter(applicationId, sessionKind, Limit: 1, Offset: 0, vendorData), ct);
        return page.Results.Count == 0 ? null : page.Results[0];
    }
}
