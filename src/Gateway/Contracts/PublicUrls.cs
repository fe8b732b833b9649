using Microsoft.Extensions.Options;
using OrleansShare.Gateway.Options;

namespace OrleansShare.Gateway.Contracts;

/// <summary>Absolute URLs the API hands out: <c>Gateway__PublicBaseUrl</c>, else the address the request came to.</summary>
internal sealed class PublicUrls(IHttpContextAccessor accessor, IOptions<GatewayOptions> options)
{
    public string Base
    {
        get
        {
            if (options.Value.PublicBaseUrl is { Length: > 0 } configured)
            {
                return configured.TrimEnd('/');
            }

            var request = accessor.HttpContext?.Request;
            return request is null ? "http://localhost:8080" : $"{request.Scheme}://{request.Host}{request.PathBase}";
        }
    }

    public string Session(Guid sessionId) => $"{Base}/session/{sessionId}";
}
