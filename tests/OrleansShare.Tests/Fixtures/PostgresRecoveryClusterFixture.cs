using OrleansShare.Silo.Storage;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// The recovery cluster on PostgreSQL: a private server of its own, so that a redemption's three writes go through
/// group commit and the PostgreSQL triggers that record <c>redemption_part</c>.
/// </summary>
public sealed class PostgresRecoveryClusterFixture : RecoveryClusterFixture
{
    private readonly PostgresServer _server = new();

    protected override async ValueTask<Database> CreateDatabaseAsync(string serviceId)
    {
        await _server.InitializeAsync();
        return Database.ForPostgreSql(await _server.CreateDatabaseAsync(TestContext.Current.CancellationToken), serviceId);
    }

    protected override ValueTask DisposeDatabaseServerAsync() => _server.DisposeAsync();
}
