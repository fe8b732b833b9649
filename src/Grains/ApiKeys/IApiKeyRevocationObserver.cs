namespace OrleansShare.Grains.ApiKeys;

/// <summary>A gateway's API-key cache, told of every revocation.</summary>
[Alias("apikeys.IApiKeyRevocationObserver")]
public interface IApiKeyRevocationObserver : IGrainObserver
{
    /// <summary>The key with this <see cref="ApiKeyHash.GrainKey"/> is revoked: forget it now.</summary>
    [Alias("revoked")]
    Task Revoked(string apiKeyGrainKey);
}
