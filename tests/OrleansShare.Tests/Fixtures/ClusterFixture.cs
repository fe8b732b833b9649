using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A three-silo <see cref="InProcessTestCluster"/> whose grain storage is a real SQLite file in a fresh temp
/// directory, with the schema applied before the first silo starts. Every silo uses the same file and the
/// cluster's own ServiceId, exactly as production silos share one database. Seeding goes through grains.
/// Grains keep the system clock that <c>AddOrleansShareStorage</c> registers: no cluster test needs to move time.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public const short InitialSilos = 3;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-cluster-" + Guid.NewGuid().ToString("N"));
    private InProcessTestCluster? _cluster;
    private Database? _database;

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    /// <summary>The database every silo stores grain state in; its ServiceId is the cluster's.</summary>
    public Database Database => _database ?? throw new InvalidOperationException("The cluster has not started.");

    public string ServiceId => Database.ServiceId;

    /// <summary>The silos alive now, primary first.</summary>
    public IReadOnlyList<InProcessSiloHandle> Silos => Cluster.Silos;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(InitialSilos);
        builder.Options.ConfigureFileLogging = false;
        var database = await CreateDatabaseAsync(builder.Options.ServiceId);
        _database = database;
        await SchemaInstaller.ApplyAsync(database, NullLogger.Instance, TestContext.Current.CancellationToken);

        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOrleansShareStorage(database);

            // Tests that leave a redemption interrupted on purpose finish it themselves; only a fixture made for the
            // recovery sweep turns it on (see RecoveryClusterFixture).
            silo.Services.Configure<RedemptionRecoveryOptions>(o => o.RecoveryInterval = TimeSpan.FromHours(1));
            ConfigureSilo(silo);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            try
            {
                await _cluster.StopAllSilosAsync();
            }
            finally
            {
                await _cluster.DisposeAsync();
            }
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        await DisposeDatabaseServerAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The database of the cluster: by default a SQLite file in the fixture's temp directory.</summary>
    protected virtual ValueTask<Database> CreateDatabaseAsync(string serviceId) =>
        ValueTask.FromResult(Database.ForSqlite(Path.Combine(_directory, "orleansshare.db"), serviceId));

    /// <summary>Stops a database server a derived fixture started for <see cref="CreateDatabaseAsync"/>.</summary>
    protected virtual ValueTask DisposeDatabaseServerAsync() => ValueTask.CompletedTask;

    /// <summary>Extra silo configuration of a derived fixture (membership timings, message timeouts).</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    /// <summary>The grain factory of one silo: calls made through it start inside that silo.</summary>
    public static IGrainFactory GrainsOn(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>The grain factory of the silo at <paramref name="index"/> modulo the silo count (round-robin).</summary>
    public IGrainFactory GrainsOn(int index)
    {
        var silos = Silos;
        return GrainsOn(silos[index % silos.Count]);
    }

    /// <summary>The grain storage provider of one silo, as the grains of that silo use it.</summary>
    public static IGrainStorage StorageOn(InProcessSiloHandle silo) =>
        silo.ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);

    /// <summary>Creates an application with a fresh API key and a default user workflow.</summary>
    public async Task<SeededApplication> CreateApplicationAsync(string name)
    {
        var applicationId = Guid.NewGuid();
        var apiKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var application = GrainsOn(0).GetGrain<IApplicationGrain>(applicationId);

        await application.Create(new CreateApplicationCommand(
            name, OrganizationId: null, Guid.NewGuid(), ApiKeyHash.GrainKey(apiKey), [.. Privileges.All]));
        var workflow = await application.CreateWorkflow(new WorkflowDefinition(
            "KYC", [new WorkflowFeature("OCR", null), new WorkflowFeature("LIVENESS", null)], IsDefault: true)) ?? throw new InvalidOperationException("The workflow was not created.");

        return new SeededApplication(applicationId, workflow.WorkflowId, workflow.FeatureNames());
    }

    /// <summary>
    /// Creates a user session of <paramref name="owner"/> and records an approved decision with one section,
    /// through <paramref name="grains"/> (by default the second silo's).
    /// </summary>
    public async Task<SessionView> CreateApprovedSessionAsync(SeededApplication owner, string? vendorData = null, IGrainFactory? grains = null)
    {
        var session = (grains ?? GrainsOn(1)).GetGrain<ISessionGrain>(Guid.NewGuid());
        var created = await session.Create(new CreateSessionCommand(
            owner.ApplicationId, owner.WorkflowId, vendorData,
            Metadata: null, ExpectedDetails: null, ContactDetails: null, Callback: null, Language: null, Actor: "owner"));
        Assert.Equal(PreparationStatus.Ready, created.Status);

        var decided = await session.RecordDecision(owner.ApplicationId, new DecisionCommand(
            "Approved", ImmutableDictionary<string, string>.Empty.Add("id_verifications", SeedSection), "verifier"));
        Assert.Equal(SessionResultStatus.Ok, decided.Status);
        return decided.Session!;
    }

    /// <summary>The partner applications a source was imported into and the clone each got, from its audit entries.</summary>
    public static IReadOnlyDictionary<Guid, Guid> ImportsOf(SessionView source) => source.Activity
        .Where(e => e.Action == ActivityActions.ImportedByPartner)
        .ToDictionary(e => Guid.Parse(e.Details!["partner_application_id"]), e => Guid.Parse(e.Details!["partner_session_id"]));

    /// <summary>The section every seeded session carries, as JSON text.</summary>
    public const string SeedSection = """[{"a":1}]""";

    /// <summary>Rows of the session index (the relational read model) for one application.</summary>
    public Task<long> CountIndexedSessionsAsync(Guid applicationId) => CountAsync(
        Database.Kind == DatabaseKind.PostgreSql
            ? "SELECT COUNT(*) FROM session_index WHERE service_id = @ServiceId AND application_id::text = @Key"
            : "SELECT COUNT(*) FROM session_index WHERE service_id = @ServiceId AND application_id = @Key",
        applicationId.ToString("D", CultureInfo.InvariantCulture));

    /// <summary>Redemptions begun and not finished: tokens of this cluster with fewer than three <c>redemption_part</c> rows.</summary>
    public Task<long> CountPendingRedemptionsAsync() => CountAsync(
        """
        SELECT COUNT(*) FROM (
            SELECT token_key FROM redemption_part WHERE service_id = @ServiceId AND @Key = @Key
            GROUP BY token_key HAVING COUNT(*) < 3) AS pending
        """, "");

    /// <summary>Rows of the grain storage table for one string-keyed grain (its key extension).</summary>
    public Task<long> CountStorageRowsAsync(string grainKeyExtension) => CountAsync(
        "SELECT COUNT(*) FROM OrleansStorage WHERE ServiceId = @ServiceId AND GrainIdExtensionString = @Key",
        grainKeyExtension);

    private async Task<long> CountAsync(string sql, string key)
    {
        await using var connection = await Database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        AddParameter(command, "ServiceId", ServiceId);
        AddParameter(command, "Key", key);
        var count = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return Convert.ToInt64(count, CultureInfo.InvariantCulture);
    }

    private static void AddParameter(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
