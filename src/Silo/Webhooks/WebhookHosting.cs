using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace OrleansShare.Silo.Webhooks;

/// <summary>The webhook parts of a host: settings and network policy (gateways and silos), the dispatcher and its HTTP client (silos).</summary>
public static class WebhookHosting
{
    /// <summary>The <c>Webhooks</c> settings and the network policy they give in <paramref name="embedded"/> mode or not.</summary>
    public static IServiceCollection AddWebhookSettings(this IServiceCollection services, IConfiguration configuration, bool embedded)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName);
        var settings = configuration.GetSection(WebhookOptions.SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
        services.TryAddSingleton(new WebhookNetworkPolicy(settings.PrivateNetworksAllowed(embedded)));
        return services;
    }

    /// <summary>
    /// The dispatcher of this silo and its HTTP client: connections only to addresses the policy allows, no redirects
    /// and no proxy (either would lead a post elsewhere than the checked address), each attempt bounded by a resilience
    /// pipeline's timeout. Retries across attempts are the outbox's (<c>next_attempt_at_ms</c>), not the client's.
    /// </summary>
    public static IServiceCollection AddWebhookDispatcher(this IServiceCollection services, IConfiguration configuration, bool embedded)
    {
        services.AddWebhookSettings(configuration, embedded);
        services.TryAddSingleton<GuardedConnector>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<GuardedConnector>().ConnectAsync,
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            .AddResilienceHandler("webhook-attempt", (pipeline, context) =>
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout));
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
