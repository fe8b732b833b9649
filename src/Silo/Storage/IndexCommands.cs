using System.Data;
using System.Data.Common;
using System.Globalization;

namespace OrleansShare.Silo.Storage;

/// <summary>Parameters and values of the read-model queries, as each dialect stores them.</summary>
internal static class IndexCommands
{
    public static void AddParameter(this DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>PostgreSQL stores uuids natively; SQLite stores them as lower-case text (a Guid parameter would bind as a blob).</summary>
    public static void AddGuid(this DbCommand command, Database database, string name, Guid? value)
    {
        if (database.Kind == DatabaseKind.PostgreSql)
        {
            command.AddParameter(name, value, DbType.Guid);
        }
        else
        {
            command.AddParameter(name, value?.ToString("D", CultureInfo.InvariantCulture), DbType.String);
        }
    }

    public static Guid ReadGuid(this DbDataReader reader, Database database, int ordinal) =>
        database.Kind == DatabaseKind.PostgreSql
            ? reader.GetGuid(ordinal)
            : Guid.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);

    public static Guid? ReadNullableGuid(this DbDataReader reader, Database database, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.ReadGuid(database, ordinal);

    public static DateTimeOffset? ReadNullableTime(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? ReadNullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>The first column of the current result's first row as a count (0 when there is none).</summary>
    public static async Task<long> ReadCountAsync(this DbDataReader reader, CancellationToken ct) =>
        await reader.ReadAsync(ct) ? Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture) : 0;
}
