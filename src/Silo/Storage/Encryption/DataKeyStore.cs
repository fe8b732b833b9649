using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace OrleansShare.Silo.Storage.Encryption;

/// <summary>
/// The <c>data_key</c> table (migration <c>data_keys</c>): wrapped data keys by service, application and master key id.
/// Synchronous on purpose: it is only reached on a cache miss of <see cref="DataKeyRing"/>, from inside the
/// synchronous grain storage serializer (see there).
/// </summary>
internal sealed class DataKeyStore(Database database)
{
    private const string ReadSql = "SELECT wrapped_key FROM data_key WHERE service_id = @ServiceId AND application_id = @ApplicationId AND kid = @Kid";

    private const string InsertSql = """
        INSERT INTO data_key (service_id, application_id, kid, wrapped_key) VALUES (@ServiceId, @ApplicationId, @Kid, @WrappedKey)
        ON CONFLICT (service_id, application_id, kid) DO NOTHING
        """;

    public byte[]? Read(string serviceId, Guid applicationId, string kid)
    {
        using var connection = Open();
        using var command = Command(connection, ReadSql, serviceId, applicationId, kid);
        return command.ExecuteScalar() is byte[] wrapped ? wrapped : null;
    }

    /// <summary>Stores <paramref name="wrappedKey"/> unless the application has a data key for <paramref name="kid"/> already.</summary>
    public void InsertIfAbsent(string serviceId, Guid applicationId, string kid, byte[] wrappedKey)
    {
        using var connection = Open();
        using var command = Command(connection, InsertSql, serviceId, applicationId, kid);
        var parameter = command.CreateParameter();
        parameter.ParameterName = "WrappedKey";
        parameter.DbType = DbType.Binary;
        parameter.Value = wrappedKey;
        command.Parameters.Add(parameter);
        command.ExecuteNonQuery();
    }

    private DbConnection Open()
    {
        if (database.DataSource is { } dataSource)
        {
            return dataSource.OpenConnection();
        }

        var connection = new SqliteConnection(database.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private DbCommand Command(DbConnection connection, string sql, string serviceId, Guid applicationId, string kid)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "ServiceId", serviceId);
        Add(command, "ApplicationId", database.Kind == DatabaseKind.PostgreSql ? applicationId : applicationId.ToString("D"));
        Add(command, "Kid", kid);
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
