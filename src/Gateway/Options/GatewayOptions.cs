namespace OrleansShare.Gateway.Options;

/// <summary>The <c>Gateway</c> section: the address the API gives out, and which proxies it believes.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// <c>Gateway__PublicBaseUrl</c>: base of <c>session_url</c> and of the paging links (an absolute http or https URL).
    /// When set, the request's Host header is never used for them; by default they use the address the request came to.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// <c>Gateway__ForwardedHeaders</c>: apply <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>
    /// from a trusted proxy (<see cref="KnownProxies"/>, <see cref="KnownNetworks"/>). Off by default: the headers are ignored.
    /// </summary>
    public bool ForwardedHeaders { get; set; }

    /// <summary>
    /// <c>Gateway__KnownProxies</c>: the proxies' IP addresses, separated by <c>;</c>. With <see cref="KnownNetworks"/>
    /// it replaces the default trusted proxy, loopback.
    /// </summary>
    public string? KnownProxies { get; set; }

    /// <summary><c>Gateway__KnownNetworks</c>: networks of trusted proxies in CIDR notation (<c>10.0.0.0/8</c>), separated by <c>;</c>.</summary>
    public string? KnownNetworks { get; set; }
}
