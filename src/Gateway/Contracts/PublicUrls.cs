using Microsoft.Extensions.Options;
using OrleansShare.Gateway.Options;

namespace OrleansShare.Gateway.Contracts;

/// <summary>
/// The base of every absolute URL the API hands out (<c>session_url</c>, paging links): <c>Gateway__PublicBaseUrl</c>
/// when set, and then never the request's Host header; else the address the request came to (its Host, which
/// <c>AllowedHosts</c> can restrict, as a trusted proxy forwarded it when <c>Gateway__ForwardedHeaders=true</c>).
/// </summary>
internal sealed class PublicUrls(IHttpContextAccessor accessor, IOptions<GatewayOptions> options)
{
    public string Base => BaseFor(accessor.HttpContext?.Request);

    public string BaseFor(HttpRequest? request)
    {
        if (options.Value.PublicBaseUrl is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }

        return request is null ? "http://localhost:8080" : $"{request.Scheme}://{request.Host}{request.PathBase}";
    }

    public string Session(Guid sessionId) => $"{Base}/session/{sessionId}";
}
