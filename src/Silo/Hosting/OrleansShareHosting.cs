using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;
using Orleans.Storage;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Storage.Encryption;
using OrleansShare.Silo.Storage.GroupCommit;
using OrleansShare.Silo.Webhooks;

namespace OrleansShare.Silo.Hosting;

/// <summary>The wiring both hosts share: the database, the silo, and the Orleans client of a cluster gateway.</summary>
public static class OrleansShareHosting
{
    /// <summary>
    /// How long a stopping host has to finish its requests and hand its grains off (HostOptions); a pod's grace period
    /// must be longer (deploy/kubernetes).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The <c>Cluster</c> settings that are not text, and what each must be.</summary>
    private static readonly Dictionary<string, (string Expected, Func<string, bool> IsValid)> ReadableAs = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(ClusterModeOptions.Mode)] = ("'Embedded' or 'AdoNet'", v => Enum.TryParse<ClusterMode>(v, ignoreCase: true, out var mode) && Enum.IsDefined(mode)),
        [nameof(ClusterModeOptions.HostSilo)] = ("'true' or 'false'", v => bool.TryParse(v, out _)),
        [nameof(ClusterModeOptions.Kubernetes)] = ("'true' or 'false'", v => bool.TryParse(v, out _)),
        [nameof(ClusterModeOptions.SiloPort)] = ("a port number (1-65535)", v => int.TryParse(v, out _)),
        [nameof(ClusterModeOptions.GatewayPort)] = ("a port number (1-65535)", v => int.TryParse(v, out _)),
    };

    /// <summary>Reads the <c>Cluster</c> section, failing with the name of the setting to fix.</summary>
    public static ClusterModeOptions ReadClusterOptions(IConfiguration configuration)
    {
        var section = configuration.GetSection(ClusterModeOptions.SectionName);
        var unreadable = section.GetChildren()
            .Where(s => s.Value is not null && ReadableAs.TryGetValue(s.Key, out var check) && !check.IsValid(s.Value))
            .Select(s => $"Cluster__{s.Key} must be {ReadableAs[s.Key].Expected}, not '{s.Value}'.")
            .ToList();
        if (unreadable.Count > 0)
        {
            throw new OptionsValidationException(ClusterModeOptions.SectionName, typeof(ClusterModeOptions), unreadable);
        }

        var options = new ClusterModeOptions();
        section.Bind(options);

        var failures = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), failures, validateAllProperties: true);
        var errors = failures.Select(f => $"Cluster__{string.Join(", Cluster__", f.MemberNames)}: {f.ErrorMessage}").ToList();
        if (options.AdvertisedAddress is { Length: > 0 } address && !IPAddress.TryParse(address, out _))
        {
            errors.Add($"Cluster__AdvertisedAddress must be an IP address (such as the pod IP), not '{address}'.");
        }

        if (options.Mode == ClusterMode.Embedded && options.Kubernetes)
        {
            errors.Add("Cluster__Kubernetes=true needs Cluster__Mode=AdoNet: an embedded gateway is a cluster of one on this machine.");
        }

        if (options.Mode == ClusterMode.Embedded && !options.HostSilo)
        {
            errors.Add("Cluster__HostSilo=false needs Cluster__Mode=AdoNet: an embedded gateway always hosts its own silo.");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ClusterModeOptions.SectionName, typeof(ClusterModeOptions), errors);
        }

        return options;
    }

    /// <summary>
    /// The database of this deployment: SQLite in the data directory (embedded) or PostgreSQL (<c>AdoNet</c>),
    /// which then requires <c>ConnectionStrings__OrleansShare</c>.
    /// </summary>
    public static Database CreateDatabase(IConfiguration configuration, ClusterModeOptions cluster)
    {
        if (cluster.Mode == ClusterMode.AdoNet)
        {
            var connectionString = configuration.GetConnectionString(ConnectionStringNames.OrleansShare);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new OptionsValidationException(ConnectionStringNames.OrleansShare, typeof(ClusterModeOptions),
                    ["Cluster__Mode=AdoNet needs a PostgreSQL connection string in ConnectionStrings__OrleansShare."]);
            }

            return Database.ForPostgreSql(connectionString, cluster.ServiceId);
        }

        // The folder and the database file are made readable by their owner only before SQLite opens them.
        var dataDirectory = DataDirectory(configuration);
        var databaseFile = Path.Combine(dataDirectory, StorageOptions.DatabaseFileName);
        OwnerOnlyFiles.CreateFolder(dataDirectory);
        OwnerOnlyFiles.PrepareSqliteFile(databaseFile);
        return Database.ForSqlite(databaseFile, cluster.ServiceId);
    }

    /// <summary>
    /// The embedded-mode data folder, <c>Storage__DataDirectory</c>, as an absolute path: a relative one is resolved
    /// against the directory the host was started from (its current directory, which <c>dotnet run</c> keeps as the
    /// caller's: see <c>RunWorkingDirectory</c> in the gateway's project), never against the content root.
    /// </summary>
    public static string DataDirectory(IConfiguration configuration) =>
        Path.GetFullPath(ReadStorageOptions(configuration).DataDirectory, Environment.CurrentDirectory);

    /// <summary>Reads the <c>Storage</c> section.</summary>
    public static StorageOptions ReadStorageOptions(IConfiguration configuration)
    {
        var storage = new StorageOptions();
        try
        {
            configuration.GetSection(StorageOptions.SectionName).Bind(storage);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(StorageOptions.SectionName, typeof(StorageOptions),
                [$"Storage__GroupCommit must be true or false and Storage__BatchesInFlight a whole number: {ex.Message}"]);
        }

        if (storage.BatchesInFlight is < 1 or > 64)
        {
            throw new OptionsValidationException(StorageOptions.SectionName, typeof(StorageOptions),
                [$"Storage__BatchesInFlight must be from 1 to 64, not {storage.BatchesInFlight}."]);
        }

        // Fails naming the setting when a key or the key id is wrong.
        _ = MasterKeys.From(storage);
        return storage;
    }

    /// <summary>Registers the database, the schema set-up (run before Orleans starts) and the index query.</summary>
    public static IServiceCollection AddOrleansShareDatabase(this IServiceCollection services, Database database)
    {
        services.AddSingleton(database);
        services.AddSingleton<SessionIndexQuery>();
        services.AddSingleton<ShareLedgerQuery>();
        services.AddSingleton<WebhookOutbox>();
        services.AddHostedService<SchemaHostedService>();
        return services;
    }

    /// <summary>
    /// Section of Orleans' own tuning: <c>Orleans__Membership__*</c> (failure detection), <c>Orleans__Messaging__*</c> and
    /// <c>Orleans__Gateway__*</c>, bound over the LAN defaults of <see cref="FailureDetection"/>.
    /// </summary>
    public const string OrleansTuningSection = "Orleans";

    public static ISiloBuilder ConfigureOrleansShareSilo(this ISiloBuilder silo, IConfiguration configuration, ClusterModeOptions cluster, Database database)
    {
        var tuning = configuration.GetSection(OrleansTuningSection);
        silo.Services.AddOptions<ClusterMembershipOptions>().Configure(FailureDetection.ApplyDefaults).Bind(tuning.GetSection("Membership"));
        silo.Services.AddOptions<SiloMessagingOptions>().Bind(tuning.GetSection("Messaging"));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });

        if (cluster.Mode == ClusterMode.AdoNet)
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = database.Invariant;
                o.DataSource = database.DataSource;
            });
            var advertised = cluster.AdvertisedAddress is { Length: > 0 } address ? IPAddress.Parse(address) : IPAddress.Loopback;
            silo.ConfigureEndpoints(advertised, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
            if (cluster.Kubernetes)
            {
                silo.UseKubernetesHosting();
            }
        }
        else
        {
            // A cluster of one: its silo and Orleans gateway ports listen on loopback only, never on a network interface.
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, null, cluster.ServiceId, cluster.ClusterId);
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Loopback, cluster.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Loopback, cluster.GatewayPort);
            });
        }

        silo.UseOrleansShareTls(ClusterTls.Read(configuration));
        if (DashboardSettings.Read(configuration).Enabled)
        {
            silo.AddDashboard();
        }

        if (Telemetry.TracingEnabled(configuration))
        {
            silo.AddActivityPropagation();
        }

        silo.Services.TryAddSingleton(database);
        silo.Services.TryAddSingleton<WebhookOutbox>();
        silo.Services.AddWebhookDispatcher(configuration, embedded: cluster.Mode == ClusterMode.Embedded);
        return silo.AddOrleansShareStorage(database, ReadStorageOptions(configuration));
    }

    /// <summary>
    /// Grain storage on the database, with the state serializer the session index expects: group commit unless
    /// <paramref name="storage"/> turns it off (<c>Storage__GroupCommit=false</c>), then the stock ADO.NET provider.
    /// </summary>
    public static ISiloBuilder AddOrleansShareStorage(this ISiloBuilder silo, Database database, StorageOptions? storage = null)
    {
        if (storage?.GroupCommit ?? true)
        {
            silo.AddGroupCommitGrainStorage(StorageNames.Grains, database,
                new GroupCommitOptions { MaxBatchesInFlight = storage?.BatchesInFlight ?? new StorageOptions().BatchesInFlight });
        }
        else
        {
            silo.AddStockGrainStorage(StorageNames.Grains, database);
        }

        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.AddIncomingGrainCallFilter<StorageFailureFilter>();
        silo.Services.Configure<SystemTextJsonGrainStorageSerializerOptions>(o => ConfigureStateJson(o.JsonSerializerOptions));
        silo.AddSessionSealing(database, storage);
        silo.Services.TryAddSingleton(TimeProvider.System);

        // Interrupted redemptions are found through storage (redemption_part) and finished by every silo.
        silo.Services.TryAddSingleton<IRedemptionInterruptions, NoRedemptionInterruptions>();
        silo.Services.TryAddSingleton(database);
        silo.Services.TryAddSingleton<PendingRedemptions>();
        silo.Services.AddOptions<RedemptionRecoveryOptions>().BindConfiguration(RedemptionRecoveryOptions.SectionName);
        silo.Services.AddHostedService<RedemptionRecoveryService>();

        // The share ledger is purged by age on every silo.
        silo.Services.TryAddSingleton<ShareLedgerQuery>();
        silo.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName)
            .Validate(o => o.LedgerDays >= 1, "Retention__LedgerDays must be at least 1.");
        silo.Services.AddHostedService<LedgerRetentionService>();
        return silo;
    }

    /// <summary>
    /// Encryption at rest: the storage serializer both providers use seals sessions' personal data under the master
    /// keys of <paramref name="storage"/> (<see cref="SessionSealingSerializer"/>); without keys, sessions are written in
    /// clear, a warning says so at start, and a sealed row fails to read naming the key to set.
    /// </summary>
    private static void AddSessionSealing(this ISiloBuilder silo, Database database, StorageOptions? storage)
    {
        var masterKeys = MasterKeys.From(storage ?? new StorageOptions());
        if (masterKeys is not null)
        {
            silo.Services.AddSingleton(sp => DataKeyRing.Create(masterKeys, database, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        }
        else
        {
            silo.Services.AddHostedService<PlaintextStorageWarning>();
        }

        // Registered after UseSystemTextJsonGrainStorageSerializer: the last registration is the one providers resolve.
        silo.Services.AddSingleton<IGrainStorageSerializer>(sp =>
        {
            var json = sp.GetRequiredService<IOptions<SystemTextJsonGrainStorageSerializerOptions>>();
            return new SessionSealingSerializer(new SystemTextJsonGrainStorageSerializer(json), json.Value.JsonSerializerOptions, sp.GetService<DataKeyRing>());
        });
    }

    /// <summary>The stock Orleans ADO.NET grain storage provider on the database, as <paramref name="name"/>.</summary>
    internal static ISiloBuilder AddStockGrainStorage(this ISiloBuilder silo, string name, Database database)
    {
        silo.AddAdoNetGrainStorage(name, o =>
        {
            // PostgreSQL: one shared NpgsqlDataSource for every provider; SQLite: a connection string.
            o.Invariant = database.Invariant;
            if (database.DataSource is { } dataSource)
            {
                o.DataSource = dataSource;
            }
            else
            {
                o.ConnectionString = database.ConnectionString;
            }
        });
        return silo;
    }

    public static IClientBuilder ConfigureOrleansShareClient(this IClientBuilder client, IConfiguration configuration, ClusterModeOptions cluster, Database database)
    {
        var tuning = configuration.GetSection(OrleansTuningSection);
        client.Services.AddOptions<ClientMessagingOptions>().Bind(tuning.GetSection("Messaging"));
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = database.Invariant;
            o.DataSource = database.DataSource;
        });
        client.Services.AddOptions<GatewayOptions>().Configure(FailureDetection.ApplyDefaults).Bind(tuning.GetSection("Gateway"));
        client.Services.AddDeadSiloWatch();
        client.AddOutgoingGrainCallFilter<RetryUndeliveredCallsFilter>();
        client.UseOrleansShareTls(ClusterTls.Read(configuration));
        if (DashboardSettings.Read(configuration).Enabled)
        {
            client.AddDashboard();
        }

        if (Telemetry.TracingEnabled(configuration))
        {
            client.AddActivityPropagation();
        }

        return client;
    }

    /// <summary>
    /// A gateway that hosts a silo (embedded, or co-hosted with <c>Cluster__HostSilo=true</c>) repeats its own calls
    /// (those not made by a grain) that a stopping silo rejected, as a client gateway does.
    /// </summary>
    public static ISiloBuilder AddGatewayCallRetries(this ISiloBuilder silo) =>
        silo.AddOutgoingGrainCallFilter<RetryUndeliveredCallsFilter>();

    /// <summary>
    /// Grain state is stored as compact snake_case JSON with enums as strings: the session index trigger reads it,
    /// and an operator can read it. Decision sections are strings holding their original JSON text.
    /// </summary>
    public static void ConfigureStateJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }
}
