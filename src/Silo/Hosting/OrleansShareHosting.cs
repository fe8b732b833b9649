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
using Orleans.Serialization;
using OrleansShare.Grains.Common;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Hosting;

/// <summary>The wiring both hosts share: the database, the silo, and the Orleans client of a cluster gateway.</summary>
public static class OrleansShareHosting
{
    /// <summary>Reads the <c>Cluster</c> section, failing with the name of the setting to fix.</summary>
    public static ClusterModeOptions ReadClusterOptions(IConfiguration configuration)
    {
        var options = new ClusterModeOptions();
        try
        {
            configuration.GetSection(ClusterModeOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(ClusterModeOptions.SectionName, typeof(ClusterModeOptions),
                [$"Cluster__Mode and the Cluster__*Port settings must be valid ('Embedded' or 'AdoNet'; ports 1-65535): {ex.Message}"]);
        }

        var failures = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), failures, validateAllProperties: true);
        var errors = failures.Select(f => $"Cluster__{string.Join(", Cluster__", f.MemberNames)}: {f.ErrorMessage}").ToList();
        if (options.AdvertisedAddress is { Length: > 0 } address && !IPAddress.TryParse(address, out _))
        {
            errors.Add($"Cluster__AdvertisedAddress must be an IP address (such as the pod IP), not '{address}'.");
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

        return Database.ForSqlite(Path.Combine(DataDirectory(configuration), StorageOptions.DatabaseFileName), cluster.ServiceId);
    }

    /// <summary>The embedded-mode data folder, <c>Storage__DataDirectory</c>, as an absolute path.</summary>
    public static string DataDirectory(IConfiguration configuration)
    {
        var storage = new StorageOptions();
        configuration.GetSection(StorageOptions.SectionName).Bind(storage);
        return Path.GetFullPath(storage.DataDirectory);
    }

    /// <summary>Registers the database, the schema set-up (run before Orleans starts) and the index query.</summary>
    public static IServiceCollection AddOrleansShareDatabase(this IServiceCollection services, Database database)
    {
        services.AddSingleton(database);
        services.AddSingleton<SessionIndexQuery>();
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
        }
        else
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, null, cluster.ServiceId, cluster.ClusterId);
        }

        return silo.AddOrleansShareStorage(database);
    }

    /// <summary>Grain storage on the database, with the state serializer the session index expects.</summary>
    public static ISiloBuilder AddOrleansShareStorage(this ISiloBuilder silo, Database database)
    {
        silo.AddAdoNetGrainStorage(StorageNames.Grains, o =>
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
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.AddIncomingGrainCallFilter<StorageFailureFilter>();
        silo.Services.Configure<SystemTextJsonGrainStorageSerializerOptions>(o => ConfigureStateJson(o.JsonSerializerOptions));
        silo.Services.TryAddSingleton(TimeProvider.System);
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
        return client;
    }

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
