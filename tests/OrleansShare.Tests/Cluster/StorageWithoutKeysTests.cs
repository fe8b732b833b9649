using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// A silo given no <c>Storage__EncryptionKeys__&lt;kid&gt;</c> (what a cluster started without one gets, such as
/// compare.sh's): it says so at start, and stores sessions in clear, as before encryption existed.
/// </summary>
[Trait("Layer", "Cluster")]
public sealed class StorageWithoutKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASiloWithoutKeysWarnsAtStartAndStoresSessionsInClear()
    {
        var directory = Path.Combine(Path.GetTempPath(), "orleansshare-nokeys-" + Guid.NewGuid().ToString("N"));
        var log = new ConcurrentQueue<string>();
        var ports = TestPorts.Next(2);
        var database = Database.ForSqlite(Path.Combine(directory, "orleansshare.db"), "nokeys");
        try
        {
            await SchemaInstaller.ApplyAsync(database, NullLogger.Instance, Ct);
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders().AddProvider(new CapturingProvider(log)).SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleans(silo => silo
                .UseLocalhostClustering(ports[0], ports[1], null, "nokeys", "nokeys")
                .AddOrleansShareStorage(database, new StorageOptions()));
            using var host = builder.Build();
            await host.StartAsync(Ct);
            try
            {
                var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
                var sessionId = Guid.NewGuid();
                var state = new GrainState<SessionState>
                {
                    State = new SessionState
                    {
                        SessionId = sessionId,
                        ApplicationId = Guid.NewGuid(),
                        SessionNumber = 1,
                        Status = "Approved",
                        Metadata = """{"note": "in clear without keys"}""",
                        Sections = ImmutableDictionary<string, string>.Empty.Add("id_verifications", """[{"first_name": "Clearly"}]"""),
                        CreatedAt = DateTimeOffset.UnixEpoch,
                    },
                };
                await storage.WriteStateAsync(StateNames.Session, GrainId.Create(StateNames.Session, sessionId.ToString()), state);

                var stored = await StoredPayloadAsync(database, sessionId);
                Assert.StartsWith("{\"session_id\":", stored, StringComparison.Ordinal);
                Assert.Contains("in clear without keys", stored, StringComparison.Ordinal);
                Assert.Contains("Clearly", stored, StringComparison.Ordinal);
                Assert.Contains(log, line => line.Contains("No Storage__EncryptionKeys__<kid> is set", StringComparison.Ordinal));
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            await database.DisposeAsync();
            SqliteConnection.ClearAllPools();
            GatewayApp.DeleteDataDirectory(directory);
        }
    }

    private static async Task<string> StoredPayloadAsync(Database database, Guid sessionId)
    {
        await using var connection = await database.OpenConnectionAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT CAST(PayloadBinary AS TEXT) FROM OrleansStorage
            WHERE GrainTypeString = 'session' AND lower(json_extract(CAST(PayloadBinary AS TEXT), '$.session_id')) = @Id
            """;
        command.Parameters.Add(new SqliteParameter("@Id", sessionId.ToString("D")));
        return (string?)await command.ExecuteScalarAsync(Ct) ?? throw new InvalidOperationException("No stored row.");
    }

    private sealed class CapturingProvider(ConcurrentQueue<string> log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(log);

        public void Dispose()
        {
        }

        private sealed class Capturing(ConcurrentQueue<string> log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                log.Enqueue(formatter(state, exception));
        }
    }
}
