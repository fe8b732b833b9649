using System.Data;
using System.Data.Common;
using System.Globalization;

namespace OrleansShare.Silo.Storage;

/// <summary>
/// The <c>pending_redemption</c> rows, which storage triggers keep: one from the first of a redemption's three writes
/// (the source's record, the clone, the token's <c>redeemed</c>) until the last of them. The recovery sweep lists the
/// old ones and removes each it has settled.
/// </summary>
public sealed class PendingRedemptions(Database database, TimeProvider time)
{
    private const string RemoveSql = "DELETE FROM pending_redemption WHERE service_id = @ServiceId AND token_key = @TokenKey;";

    private const string OldestSql = """
        SELECT token_key, source_session_id, clone_session_id
        FROM pending_redemption
        WHERE service_id = @ServiceId AND recorded_at_ms < @RecordedBeforeMs
        ORDER BY recorded_at_ms
        LIMIT @Limit;
        """;

    /// <summary>The oldest pending redemptions recorded more than <paramref name="minimumAge"/> ago.</summary>
    public async Task<IReadOnlyList<PendingRedemption>> ListOlderThanAsync(TimeSpan minimumAge, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = OldestSql;
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

    /// <summary>Removes the row of a redemption the sweep has settled (finished, or found with nothing to finish).</summary>
    public async Task RemoveAsync(string tokenKey, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = RemoveSql;
        AddParameter(command, "ServiceId", database.ServiceId, DbType.String);
        AddParameter(command, "TokenKey", tokenKey, DbType.String);
        await command.ExecuteNonQueryAsync(ct);
    }

    private Guid ReadGuid(DbDataReader reader, int ordinal) => database.Kind == DatabaseKind.PostgreSql
        ? reader.GetGuid(ordinal)
        : Guid.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);

    private static void AddParameter(IDbCommand command, string name, object value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
