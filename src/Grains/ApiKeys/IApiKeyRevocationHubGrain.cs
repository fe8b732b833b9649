namespace OrleansShare.Grains.ApiKeys;

/// <summary>
/// Where gateways subscribe their API-key caches and where a revocation is announced to all of them. One per
/// cluster (key 0). It holds only the subscriptions of this activation, which gateways renew periodically.
/// </summary>
[Alias("apikeys.IApiKeyRevocationHubGrain")]
public interface IApiKeyRevocationHubGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Subscribes (or renews) <paramref name="observer"/>; returns this activation's epoch. A gateway that sees a new
    /// epoch may have missed revocations announced while it was not subscribed, and must drop its whole cache.
    /// </summary>
    [Alias("subscribe")]
    Task<Guid> Subscribe(IApiKeyRevocationObserver observer);

    /// <summary>Tells every subscribed gateway that a key is revoked; returns when each has answered or timed out.</summary>
    [Alias("announce")]
    Task Announce(string apiKeyGrainKey);
}
