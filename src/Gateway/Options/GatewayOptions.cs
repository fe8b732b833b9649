namespace OrleansShare.Gateway.Options;

/// <summary>The <c>Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary><c>Gateway__PublicBaseUrl</c>: base of <c>session_url</c>; by default the address the request came to.</summary>
    public string? PublicBaseUrl { get; set; }
}
