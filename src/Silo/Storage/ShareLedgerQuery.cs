using System.Data;
using System.Data.Common;

namespace OrleansShare.Silo.Storage;

/// <summary>Which of an application's ledger entries to list: the shares it minted, the imports it made, or both.</summary>
public enum LedgerDirection
{
    Both,
    Outgoing,
    Incoming,
}

/// <summary>A page of <c>GET /v3/share-ledger/</c>.</summary>
public sealed record LedgerListFilter(
    Guid ApplicationId,
    LedgerDirection Direction,
    Guid? PartnerApplicationId,
    string? Purpose,
    DateTimeOffset? DateFrom,
    DateTimeOffset? DateTo,
    int Limit,
    int Offset);

/// <summary>
/// One token in the share ledger as one of its two parties sees it: <see cref="PartnerApplicationId"/> is the other party;
/// <see cref="ImportedSessionId"/> is set only on the importer's own (incoming) entries.
/// </summary>
public sealed record LedgerRow(
    string Direction,
    string TokenId,
    Guid SessionId,
    Guid PartnerApplicationId,
    string SessionKind,
    string? Purpose,
    string? Scope,
    DateTimeOffset? ConsentObtainedAt,
    string? ConsentMethod,
    string? ConsentReference,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RedeemedAt,
    Guid? ImportedSessionId,
    DateTimeOffset? RevokedAt);

/// <summary>
/// Reads the <c>share_ledger</c> table (migration 008 / SQLite 006), which the session storage trigger keeps in step with
/// every share, import and revocation, and purges it by age. Always scoped to the database's ServiceId.
/// </summary>
public sealed class ShareLedgerQuery(Database database)
{
    private const string Columns = """
        token_id, session_id, session_kind, purpose, scope, consent_obtained_at_ms, consent_method, consent_reference,
        created_at_ms, expires_at_ms, redeemed_at_ms, revoked_at_ms
        """;

    // Both directions of one application, newest share first; the filters apply to the entry as its reader sees it
    // (the partner is the other party).
    private const string Entries = $"""
        SELECT 'outgoing' AS direction, partner_application_id AS partner, NULL AS imported, {Columns}
        FROM share_ledger
        WHERE service_id = @ServiceId AND source_application_id = @ApplicationId AND @Outgoing = 1
        UNION ALL
        SELECT 'incoming' AS direction, source_application_id AS partner, imported_session_id AS imported, {Columns}
        FROM share_ledger
        WHERE service_id = @ServiceId AND partner_application_id = @ApplicationId AND redeemed_at_ms IS NOT NULL AND @Incoming = 1
        """;

    private const string LedgerWhere = """
        (@Partner IS NULL OR partner = @Partner)
          AND (@Purpose IS NULL OR purpose = @Purpose)
          AND (@DateFromMs IS NULL OR created_at_ms >= @DateFromMs)
          AND (@DateToMs IS NULL OR created_at_ms <= @DateToMs)
        """;

    private const string ListLedgerSql = $"""
        SELECT COUNT(*) FROM ({Entries}) e WHERE {LedgerWhere};

        SELECT direction, partner, imported, {Columns}
        FROM ({Entries}) e
        WHERE {LedgerWhere}
        ORDER BY created_at_ms DESC, token_id, direction
        LIMIT @Limit OFFSET @Offset;
        """;

    // Whether the session is the caller's (a live one: the index holds it), then its tokens, newest first.
    private const string ListForSessionSql = $"""
        SELECT COUNT(*) FROM session_index
        WHERE service_id = @ServiceId AND application_id = @ApplicationId AND session_id = @SessionId;

        SELECT COUNT(*) FROM share_ledger
        WHERE service_id = @ServiceId AND source_application_id = @ApplicationId AND session_id = @SessionId;

        SELECT 'outgoing' AS direction, partner_application_id, NULL AS imported, {Columns}
        FROM share_ledger
        WHERE service_id = @ServiceId AND source_application_id = @ApplicationId AND session_id = @SessionId
        ORDER BY created_at_ms DESC, token_id
        LIMIT @Limit OFFSET @Offset;
        """;

    private const string PurgeSql = """
        DELETE FROM share_ledger WHERE service_id = @ServiceId AND created_at_ms < @CutoffMs
        """;

    public async Task<IndexPage<LedgerRow>> ListAsync(LedgerListFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ListLedgerSql;
        command.AddParameter("ServiceId", database.ServiceId, DbType.String);
        command.AddGuid(database, "ApplicationId", filter.ApplicationId);
        command.AddParameter("Outgoing", filter.Direction is LedgerDirection.Both or LedgerDirection.Outgoing ? 1 : 0, DbType.Int32);
        command.AddParameter("Incoming", filter.Direction is LedgerDirection.Both or LedgerDirection.Incoming ? 1 : 0, DbType.Int32);
        command.AddGuid(database, "Partner", filter.PartnerApplicationId);
        command.AddParameter("Purpose", filter.Purpose, DbType.String);
        command.AddParameter("DateFromMs", filter.DateFrom?.ToUnixTimeMilliseconds(), DbType.Int64);
        command.AddParameter("DateToMs", filter.DateTo?.ToUnixTimeMilliseconds(), DbType.Int64);
        command.AddParameter("Limit", filter.Limit, DbType.Int32);
        command.AddParameter("Offset", filter.Offset, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = await reader.ReadCountAsync(ct);
        await reader.NextResultAsync(ct);
        return new IndexPage<LedgerRow>(count, await ReadRowsAsync(reader, ct));
    }

    /// <summary>The tokens minted for one of the application's sessions; null when the session is not a live one of its own.</summary>
    public async Task<IndexPage<LedgerRow>?> ListForSessionAsync(Guid applicationId, Guid sessionId, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = ListForSessionSql;
        command.AddParameter("ServiceId", database.ServiceId, DbType.String);
        command.AddGuid(database, "ApplicationId", applicationId);
        command.AddGuid(database, "SessionId", sessionId);
        command.AddParameter("Limit", limit, DbType.Int32);
        command.AddParameter("Offset", offset, DbType.Int32);

        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadCountAsync(ct) == 0)
        {
            return null;
        }

        await reader.NextResultAsync(ct);
        var count = await reader.ReadCountAsync(ct);
        await reader.NextResultAsync(ct);
        return new IndexPage<LedgerRow>(count, await ReadRowsAsync(reader, ct));
    }

    /// <summary>Deletes the entries of tokens minted before <paramref name="cutoff"/>; the number deleted.</summary>
    public async Task<int> PurgeOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = PurgeSql;
        command.AddParameter("ServiceId", database.ServiceId, DbType.String);
        command.AddParameter("CutoffMs", cutoff.ToUnixTimeMilliseconds(), DbType.Int64);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<List<LedgerRow>> ReadRowsAsync(DbDataReader reader, CancellationToken ct)
    {
        var rows = new List<LedgerRow>();
        while (await reader.ReadAsync(ct))
        {
            var consentAt = reader.ReadNullableTime(8);
            rows.Add(new LedgerRow(
                Direction: reader.GetString(0),
                TokenId: reader.GetString(3),
                SessionId: reader.ReadGuid(database, 4),
                PartnerApplicationId: reader.ReadGuid(database, 1),
                SessionKind: reader.GetString(5),
                Purpose: reader.ReadNullableString(6),
                Scope: reader.ReadNullableString(7),
                ConsentObtainedAt: consentAt,
                ConsentMethod: reader.ReadNullableString(9),
                ConsentReference: reader.ReadNullableString(10),
                CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
                ExpiresAt: reader.ReadNullableTime(12),
                RedeemedAt: reader.ReadNullableTime(13),
                ImportedSessionId: reader.ReadNullableGuid(database, 2),
                RevokedAt: reader.ReadNullableTime(14)));
        }

        return rows;
    }
}
