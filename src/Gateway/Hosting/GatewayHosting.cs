using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Endpoints;
using OrleansShare.Gateway.Options;
using OrleansShare.Gateway.Tokens;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Webhooks;
using Scalar.AspNetCore;

namespace OrleansShare.Gateway.Hosting;

/// <summary>Everything the gateway host is made of; <c>Program.cs</c> only calls these.</summary>
internal static class GatewayHosting
{
    private const string DefaultUrl = "http://localhost:8080";

    public static WebApplicationBuilder AddOrleansShareGateway(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Logging.AddOrleansShareLogDefaults();
        var cluster = OrleansShareHosting.ReadClusterOptions(configuration);
        var embedded = cluster.Mode == ClusterMode.Embedded;

        // Settings are checked before anything is created on disk: a refused start leaves nothing behind.
        builder.AddHostHeaders();
        builder.AddSecrets(embedded);
        var database = OrleansShareHosting.CreateDatabase(configuration, cluster);
        var role = embedded ? GatewayRole.Embedded : cluster.HostSilo ? GatewayRole.GatewayAndSilo : GatewayRole.Gateway;

        if (ExtraPorts.Urls(configuration, DefaultUrl) is { } urls)
        {
            builder.WebHost.UseUrls(urls);
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestBody.DecisionLimit + 1024);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = OrleansShareHosting.ShutdownTimeout);

        // The schema service is registered before Orleans so that it runs first on a fresh database.
        builder.Services.AddOrleansShareDatabase(database);
        if (role == GatewayRole.Gateway)
        {
            builder.UseOrleansClient(client => client.ConfigureOrleansShareClient(configuration, cluster, database));
        }
        else
        {
            // Embedded, or co-hosted (Cluster__HostSilo=true): this process is a silo too, and the endpoints' grain calls
            // start inside it. Kestrel starts after the silo and stops before it, so requests in flight finish first.
            builder.UseOrleans(silo => silo.ConfigureOrleansShareSilo(configuration, cluster, database).AddGatewayCallRetries());
        }

        builder.Services.AddSingleton(sp => new LocalSilo(role, sp.GetService<ISiloStatusOracle>()));
        builder.Services.AddSingleton<ReadinessProbe>();

        builder.AddGatewayTelemetry();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddWebhookSettings(configuration, embedded);
        builder.Services.AddSingleton<ShareTokenService>();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddHostedService<ApiKeyRevocationSubscription>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            o.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        builder.Services.Configure<RouteOptions>(o => o.SetParameterPolicy<UuidRouteConstraint>(UuidRouteConstraint.Name));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => "Nothing is at this path. Paths end in '/', and ids are hyphenated UUIDs.",
            StatusCodes.Status405MethodNotAllowed => "This path does not take this HTTP method; see /openapi/v1.json.",
            _ => null,
        });
        builder.Services.AddExceptionHandler<ClusterUnavailableHandler>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(Policies.Add);
        builder.AddRateLimits();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication UseOrleansShareGateway(this WebApplication app)
    {
        // Fail at start, naming the setting, rather than at the first share.
        _ = app.Services.GetRequiredService<ShareTokenService>();

        app.UseForwardedHeadersWhenEnabled();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAllowedHosts();
        app.UseAuthentication();
        app.UseRateLimits();
        app.UseAuthorization();

        app.MapAdmin();
        app.MapWorkflows();
        app.MapSessions();
        app.MapSharing();
        app.MapTrustPolicies();
        app.MapGovernance();
        app.MapEntities();
        app.MapWebhooks();
        app.MapHealth();
        app.MapGatewayTelemetry();
        app.MapOpenApi();
        app.MapScalarApiReference(o => o.WithTitle("OrleansShare API"));
        app.MapGet("/", () => TypedResults.Redirect("/scalar/v1")).ExcludeFromDescription();
        if (ExtraPorts.DashboardPort(app.Configuration) is { } dashboardPort)
        {
            // Orleans' dashboard, on its own port only (it has no authentication of its own).
            app.MapOrleansDashboard("/dashboard").RequireHost($"*:{dashboardPort}");
        }

        var local = app.Services.GetRequiredService<LocalSilo>();
        app.Lifetime.ApplicationStarted.Register(() => GatewayLog.Started(app.Logger, local.RoleName));

        if (app.Services.GetService<GeneratedAdminKey>() is { } generated)
        {
            // The key goes to the console only: logs are kept and shipped, and must never hold it.
            var console = app.Services.GetRequiredService<OperatorConsole>();
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                console.ShowGeneratedAdminKey(generated.Key, generated.Directory);
                GatewayLog.AdminKeyGenerated(app.Logger, generated.Directory);
            });
        }

        return app;
    }

    /// <summary>
    /// The operator key and the signing keys: from configuration; in embedded mode generated on first start and
    /// kept in the data directory; otherwise a missing one stops the host with the setting to fix.
    /// </summary>
    private static void AddSecrets(this WebApplicationBuilder builder, bool embedded)
    {
        var configuration = builder.Configuration;
        var dataDirectory = OrleansShareHosting.DataDirectory(configuration);

        var adminKey = configuration.GetSection(AdminOptions.SectionName).Get<AdminOptions>()?.ApiKey;
        if (!string.IsNullOrEmpty(adminKey))
        {
            if (adminKey.Length < AdminOptions.MinimumKeyLength)
            {
                throw new OptionsValidationException(AdminOptions.SectionName, typeof(AdminOptions),
                    [$"Admin__ApiKey must be at least {AdminOptions.MinimumKeyLength} characters long, and this one has {adminKey.Length}. "
                        + "Choose a random key, such as the output of: openssl rand -hex 32"]);
            }

            builder.Services.AddSingleton(AdminKeyVerifier.ForKey(adminKey));
        }
        else if (embedded)
        {
            var (hash, generated) = EmbeddedSecrets.LoadOrCreateAdminKey(dataDirectory);
            builder.Services.AddSingleton(new AdminKeyVerifier(hash));
            if (generated is not null)
            {
                builder.Services.AddSingleton(new GeneratedAdminKey(generated, dataDirectory));
                builder.Services.TryAddSingleton(OperatorConsole.Standard());
            }
        }
        else
        {
            throw new OptionsValidationException(AdminOptions.SectionName, typeof(AdminOptions),
                ["Cluster__Mode=AdoNet needs the operator key in Admin__ApiKey."]);
        }

        builder.Services.AddSingleton<AdminKeyFilter>();

        if (embedded)
        {
            builder.AddEmbeddedStorageKeys(dataDirectory);
        }

        var tokens = builder.Services.AddOptions<ShareTokenOptions>().BindConfiguration(ShareTokenOptions.SectionName);
        if (embedded && configuration.GetSection($"{ShareTokenOptions.SectionName}:SigningKeys").GetChildren().Any() is false)
        {
            var keys = EmbeddedSecrets.LoadOrCreateSigningKeys(dataDirectory, TimeProvider.System);
            tokens.Configure(o =>
            {
                foreach (var (kid, key) in keys)
                {
                    o.SigningKeys[kid] = key;
                }
            });
        }
    }

    /// <summary>
    /// Embedded mode's master key of encryption at rest: with no <c>Storage__EncryptionKeys__&lt;kid&gt;</c> set, the one
    /// kept in the data folder (made on first start) encrypts. Keys set in configuration encrypt instead
    /// (<c>Storage__EncryptionKeyId</c>, or the only one set); a kept key still decrypts what it encrypted.
    /// </summary>
    private static void AddEmbeddedStorageKeys(this WebApplicationBuilder builder, string dataDirectory)
    {
        var configuration = builder.Configuration;
        var configured = configuration.GetSection($"{StorageOptions.SectionName}:{nameof(StorageOptions.EncryptionKeys)}").GetChildren()
            .Select(s => s.Key).ToList();
        var kept = EmbeddedSecrets.LoadStorageKeys(dataDirectory, TimeProvider.System, create: configured.Count == 0);
        var added = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (kid, key) in kept ?? [])
        {
            if (!configured.Contains(kid, StringComparer.OrdinalIgnoreCase))
            {
                added[$"{StorageOptions.SectionName}:{nameof(StorageOptions.EncryptionKeys)}:{kid}"] = key;
            }
        }

        if (string.IsNullOrWhiteSpace(configuration[$"{StorageOptions.SectionName}:{nameof(StorageOptions.EncryptionKeyId)}"]))
        {
            var encrypting = configured.Count == 1 ? configured[0] : configured.Count == 0 && kept is { Count: 1 } ? kept.Keys.Single() : null;
            if (encrypting is not null)
            {
                added[$"{StorageOptions.SectionName}:{nameof(StorageOptions.EncryptionKeyId)}"] = encrypting;
            }
        }

        if (added.Count > 0)
        {
            configuration.AddInMemoryCollection(added);
        }
    }

    internal sealed record GeneratedAdminKey(string Key, string Directory);
}
