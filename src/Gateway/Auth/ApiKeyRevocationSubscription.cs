using OrleansShare.Gateway.Hosting;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Common;

namespace OrleansShare.Gateway.Auth;

/// <summary>
/// Keeps this gateway's <see cref="ApiKeyCache"/> subscribed to the cluster's revocation hub, renewing well within
/// the hub's subscription lifetime. While it cannot, the cache is off; when the hub is a new activation (the old
/// one was lost with its silo), the cache starts empty.
/// </summary>
internal sealed class ApiKeyRevocationSubscription(
    IGrainFactory grains, ApiKeyCache cache, TimeProvider time, ILogger<ApiKeyRevocationSubscription> logger) : BackgroundService
{
    private static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var observer = grains.CreateObjectReference<IApiKeyRevocationObserver>(cache);
        Guid? epoch = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var current = await grains.Reference<IApiKeyRevocationHubGrain>(0).Subscribe(observer).WaitAsync(stoppingToken);
                cache.Enable(clear: current != epoch);
                cache.Sweep();
                epoch = current;
                wait = RenewInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever the cause (no silo yet, a silo lost, a timeout), this loop must outlive it: authenticate
                // through the grains until the subscription is back.
                if (epoch is not null)
                {
                    GatewayLog.RevocationSubscriptionLost(logger, ex.Message);
                }

                cache.Disable();
                epoch = null;
                wait = RetryInterval;
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
