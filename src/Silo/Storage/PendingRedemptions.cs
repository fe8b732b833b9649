using System.Data;
using System.Data.Common;
using System.Globalization;

namespace OrleansShare.Silo.Storage;

/// <summary>
/// The <c>redemption_part</c> rows, which storage triggers insert: one for each of a redemption's three writes (the
/// source's record, the clone, the token's <c>redeemed</c>) as it lands. A redemption with all three is settled and its
/// parts are deleted in bulk; one with a part missing is pending, and the recovery sweep has its token grain finish it.
/// </summary>
public sealed class PendingRedemptions(Database database, TimeProvider time)
{
    private const string RemoveSql = "DELETE FROM redemption_part WHERE service_id = @ServiceId AND token_key = @TokenKey;";

    private const string SettledTokens = """
        SELECT token_key FROM redemption_part WHERE service_id = @ServiceId GROUP BY token_key HAVING COUNT(*) = 3
        """;

    // Rows another silo's sweep is deleting are skipped, not waited for: two sweeps never lock each other.
    private const string PostgreSqlRemoveSettledSql = $"""
        DELETE FROM redemption_part WHERE ctid IN (
            SELECT ctid FROM redemption_part
            WHERE service_id = @ServiceId AND token_key IN ({SettledTokens})
            FOR UPDATE SKIP LOCKED);
        """;

    private const string SqliteRemoveSettledSql = $"""
        DELETE FROM redemption_part WHERE service_id = @ServiceId AND token_key IN ({SettledTokens});
        """;

    // The source is the one the source's or the clone's part names (the token's names none when it was finished from
    // its clone alone); the clone is the one the clone's or the token's part names.
    private const string PostgreSqlOldestSql = """
        SELECT token_key,
               COALESCE(MAX(CASE WHEN part <> 'token' THEN source_session_id::text END), MAX(source_session_id::text)),
               MAX(clone_session_id::text)
        FROM redemption_part
        WHERE service_id = @ServiceId
        GROUP BY token_key
        HAVING COUNT(*) < 3 AND MIN(recorded_at_ms) < @RecordedBeforeMs
        ORDER BY MIN(recorded_at_ms)
        LIMIT @Limit;
        """;

    private const string SqliteOldestSql = """
        SELECT token_key,
               COALESCE(MAX(CASE WHEN part <> 'token' THEN source_session_id END), MAX(source_session_id)),
               MAX(clone_session_id)
        FROM redemption_part
        WHERE service_id = @ServiceId
        GROUP BY token_key
        HAVING COUNT(*) < 3 AND MIN(recorded_at_ms) < @RecordedBeforeMs
        ORDER BY MIN(recorded_at_ms)
        LIMIT @Limit;
        """;

    /// <summary>Deletes the parts of every settled redemption (all three parts recorded); returns how many rows went.</summary>
    public async Task<int> RemoveSettledAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = database.Kind == DatabaseKind.PostgreSql ? PostgreSqlRemoveSettledSql : SqliteRemoveSettledSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The oldest pending redemptions (a part missing) whose first part landed more than <paramref name="minimumAge"/> ago.</summary>
    public async Task<IReadOnlyList<PendingRedemption>> ListOlderThanAsync(TimeSpan minimumAge, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = database.Kind == DatabaseKind.PostgreSql ? PostgreSqlOldestSql : SqliteOldestSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "RecordedBeforeMs", (time.GetUtcNow() - minimumAge).ToUnixTimeMilliseconds(), DbType.Int64);
        AddParameter(command, "Limit", limit, DbType.Int32);

        var pending = new List<PendingRedemption>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var source = ReadGuid(reader, 1);
            var clone = reader.IsDBNull(2) ? (Guid?)null : ReadGuid(reader, 2);
            pending.Add(new PendingRedemption(reader.GetString(0), source, clone));
        }

        return pending;
    }

    /// <summary>Removes the parts of a redemption the sweep has settled (finished, or found with nothing to finish).</summary>
    public async Task RemoveAsync(string tokenKey, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = RemoveSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "TokenKey", tokenKey, DbType.String);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static Guid ReadGuid(DbDataReader reader, int ordinal) => Guid.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);

    private static void AddParameter(IDbCommand command, string name, object value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
