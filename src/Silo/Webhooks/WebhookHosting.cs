using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansShare.Grains.Webhooks;
using Polly;

namespace OrleansShare.Silo.Webhooks;

/// <summary>The webhook parts of a host: settings and network policy (gateways and silos), the dispatcher and its HTTP client (silos).</summary>
public static class WebhookHosting
{
    /// <summary>The <c>Webhooks</c> settings and the network policy they give in <paramref name="embedded"/> mode or not.</summary>
    public static IServiceCollection AddWebhookSettings(this IServiceCollection services, IConfiguration configuration, bool embedded)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName);
        var settings = Read(configuration);
        services.TryAddSingleton(new WebhookNetworkPolicy(settings.PrivateNetworksAllowed(embedded)));
        return services;
    }

    /// <summary>Reads the <c>Webhooks</c> section, failing with the name of the setting to fix.</summary>
    public static WebhookOptions Read(IConfiguration configuration)
    {
        WebhookOptions settings;
        try
        {
            settings = configuration.GetSection(WebhookOptions.SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(WebhookOptions.SectionName, typeof(WebhookOptions),
                [$"A Webhooks__ setting is unreadable (times as 00:00:10, counts as whole numbers, true or false): {ex.Message}"]);
        }

        var errors = new List<string>();
        if (settings.Timeout <= TimeSpan.Zero || settings.RetryBaseDelay <= TimeSpan.Zero || settings.RetryMaxDelay < settings.RetryBaseDelay
            || settings.PollInterval <= TimeSpan.Zero || settings.RetryFor < TimeSpan.Zero || settings.DeliveryRetention < TimeSpan.Zero)
        {
            errors.Add("Webhooks__Timeout, Webhooks__RetryBaseDelay and Webhooks__PollInterval must be positive, Webhooks__RetryMaxDelay at least Webhooks__RetryBaseDelay.");
        }

        if (settings.MaxConcurrency < 1 || settings.PerDestinationConcurrency < 1 || settings.BatchSize < 1)
        {
            errors.Add("Webhooks__MaxConcurrency, Webhooks__PerDestinationConcurrency and Webhooks__BatchSize must be at least 1.");
        }

        return errors.Count == 0 ? settings : throw new OptionsValidationException(WebhookOptions.SectionName, typeof(WebhookOptions), errors);
    }

    /// <summary>
    /// The dispatcher of this silo and its HTTP client: connections only to addresses the policy allows, no redirects
    /// and no proxy (either would lead a post elsewhere than the checked address), each attempt bounded by a resilience
    /// pipeline's timeout. Retries across attempts are the outbox's (<c>next_attempt_at_ms</c>), not the client's.
    /// </summary>
    public static IServiceCollection AddWebhookDispatcher(this IServiceCollection services, IConfiguration configuration, bool embedded)
    {
        services.AddWebhookSettings(configuration, embedded);
        services.AddMetrics();
        services.TryAddSingleton<GuardedConnector>();
        services.AddHttpClient(WebhookPoster.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<GuardedConnector>().ConnectAsync,
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            // The delivery log and orleansshare_webhook_deliveries say what the factory's per-request log lines would.
            .RemoveAllLoggers()
            .AddResilienceHandler("webhook-attempt", (pipeline, context) =>
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout));
        services.TryAddSingleton<WebhookPoster>();
        services.TryAddSingleton<DeliverySlots>();
        services.TryAddSingleton<FirstEventHandoff>();
        services.TryAddSingleton<IFirstEventHandoff>(sp => sp.GetRequiredService<FirstEventHandoff>());
        services.AddHostedService(sp => sp.GetRequiredService<FirstEventHandoff>());
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
