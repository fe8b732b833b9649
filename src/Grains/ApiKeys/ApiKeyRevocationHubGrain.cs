using Microsoft.Extensions.Logging;

namespace OrleansShare.Grains.ApiKeys;

/// <summary>
/// Fans a revocation out to every gateway's API-key cache. Subscriptions live in memory only: when this
/// activation is lost, the next one has a new epoch, and every gateway that renews drops its cache.
/// </summary>
[GrainType("api-key-revocations")]
public sealed partial class ApiKeyRevocationHubGrain(TimeProvider time, ILogger<ApiKeyRevocationHubGrain> logger) : Grain, IApiKeyRevocationHubGrain
{
    /// <summary>A subscription not renewed for this long belongs to a gateway that is gone.</summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private readonly Guid _epoch = Guid.NewGuid();
    private readonly Dictionary<IApiKeyRevocationObserver, DateTimeOffset> _subscribers = [];

    Task<Guid> IApiKeyRevocationHubGrain.Subscribe(IApiKeyRevocationObserver observer)
    {
        _subscribers[observer] = time.GetUtcNow();
        return Task.FromResult(_epoch);
    }

    async Task IApiKeyRevocationHubGrain.Announce(string apiKeyGrainKey)
    {
        var now = time.GetUtcNow();
        foreach (var stale in _subscribers.Where(s => now - s.Value > SubscriptionLifetime).Select(s => s.Key).ToList())
        {
            _subscribers.Remove(stale);
        }

        var deliveries = _subscribers.Keys.ToList().Select(async observer =>
        {
            try
            {
                await observer.Revoked(apiKeyGrainKey).WaitAsync(DeliveryTimeout);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException)
            {
                // That gateway is gone or cut off; a gateway that cannot renew its subscription drops its cache itself.
                LogDeliveryFailed(logger, ex.Message);
                _subscribers.Remove(observer);
            }
        }).ToList();
        await Task.WhenAll(deliveries);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A gateway did not acknowledge an API-key revocation: {Reason}")]
    private static partial void LogDeliveryFailed(ILogger logger, string reason);
}
