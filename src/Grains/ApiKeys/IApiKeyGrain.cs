using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.ApiKeys;

/// <summary>An API key, keyed by <see cref="ApiKeyHash.GrainKey"/> of the key text.</summary>
[Alias("apikeys.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    [Alias("register")]
    Task Register(ApiKeyIdentity identity);

    [Alias("revoke")]
    Task Revoke();

    /// <summary>The identity of a live key; null for an unknown or revoked key.</summary>
    [Alias("authenticate")]
    [RetrySafe]
    Task<ApiKeyIdentity?> Authenticate();
}
