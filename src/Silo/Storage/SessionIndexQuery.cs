using System.Data;
using System.Data.Common;
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
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddGuid(command, "ApplicationId", filter.ApplicationId);
        AddParameter(command, "Status", filter.Status, DbType.String);
        AddParameter(command, "SessionKind", filter.SessionKind, DbType.String);
        AddParameter(command, "VendorData", filter.VendorData, DbType.String);
        AddGuid(command, "WorkflowId", filter.WorkflowId);
        AddParameter(command, "DateFromMs", filter.DateFrom?.ToUnixTimeMilliseconds(), DbType.Int64);
        AddParameter(command, "DateToMs", filter.DateTo?.ToUnixTimeMilliseconds(), DbType.Int64);
        AddParameter(command, "Limit", filter.Limit, DbType.Int32);
        AddParameter(command, "Offset", filter.Offset, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = await ReadCountAsync(reader, ct);
        await reader.NextResultAsync(ct);

        var results = new List<SessionIndexRow>();
        while (await reader.ReadAsync(ct))
        {
            results.Add(new SessionIndexRow(
                SessionId: ReadGuid(reader, 0),
                SessionNumber: reader.GetInt64(1),
                SessionKind: reader.GetString(2),
                Status: reader.GetString(3),
                VendorData: reader.IsDBNull(4) ? null : reader.GetString(4),
                WorkflowId: reader.IsDBNull(5) ? null : ReadGuid(reader, 5),
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
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddGuid(command, "ApplicationId", filter.ApplicationId);
        AddParameter(command, "SessionKind", filter.SessionKind, DbType.String);
        AddParameter(command, "VendorData", filter.VendorData, DbType.String);
        AddParameter(command, "Limit", filter.Limit, DbType.Int32);
        AddParameter(command, "Offset", filter.Offset, DbType.Int32);
        AddParameter(command, "MaxSessionIds", MaxSessionIdsPerEntity, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = await ReadCountAsync(reader, ct);
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
            sessionIds.Add(ReadGuid(reader, 2));
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

    private static async Task<long> ReadCountAsync(DbDataReader reader, CancellationToken ct)
    {
        if (!await reader.ReadAsync(ct))
        {
            return 0;
        }

        return Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
    }

    // PostgreSQL stores uuids natively; SQLite stores them as lower-case text (a Guid parameter would bind as a blob).
    private void AddGuid(DbCommand command, string name, Guid? value)
    {
        if (database.Kind == DatabaseKind.PostgreSql)
        {
            AddParameter(command, name, value, DbType.Guid);
        }
        else
        {
            AddParameter(command, name, value?.ToString("D", CultureInfo.InvariantCulture), DbType.String);
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
