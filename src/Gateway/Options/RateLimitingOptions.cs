using System.ComponentModel.DataAnnotations;

namespace OrleansShare.Gateway.Options;

/// <summary>
/// The <c>RateLimiting</c> section (API.md, Rate limits): a token bucket per API key, per gateway, and one per client
/// address for requests that fail authentication. Defaults are API.md's.
/// </summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    /// <summary><c>RateLimiting__Enabled</c>: <c>false</c> turns every limit off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>RateLimiting__PermitsPerSecond</c>: the rate at which an API key's bucket refills.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "RateLimiting__PermitsPerSecond must be a whole number of at least 1.")]
    public int PermitsPerSecond { get; set; } = 2_000;

    /// <summary><c>RateLimiting__Burst</c>: the size of an API key's bucket, the requests it may send at once.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "RateLimiting__Burst must be a whole number of at least 1.")]
    public int Burst { get; set; } = 4_000;

    /// <summary>
    /// <c>RateLimiting__UnauthenticatedPerSecond</c>: per client address, the rate (and the bucket size) of requests
    /// whose <c>x-api-key</c> is missing, unknown or revoked, and of <c>/admin/v1</c> calls without the operator key.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "RateLimiting__UnauthenticatedPerSecond must be a whole number of at least 1.")]
    public int UnauthenticatedPerSecond { get; set; } = 20;
}
