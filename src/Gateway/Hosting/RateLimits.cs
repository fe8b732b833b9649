using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Options;
using OrleansShare.Gateway.Problems;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// API.md, Rate limits, with ASP.NET Core's rate limiting middleware: one token bucket per API key (by key id), and one
/// per client address for requests without a valid key (missing, unknown or revoked <c>x-api-key</c>; <c>/admin/v1</c>
/// without the operator key). Probes, metrics and the API docs are never limited. Over the limit: 429 problem+json
/// with <c>Retry-After</c>. The middleware runs after authentication, so a request is charged to its key.
/// </summary>
internal static class RateLimits
{
    private static readonly PathString[] Unlimited = [new("/health"), new("/metrics"), new("/openapi"), new("/scalar"), new("/dashboard")];
    private static readonly PathString AdminPaths = new("/admin");

    /// <summary>Set on a request whose key lookup already took its address's permit.</summary>
    private const string ChargedItem = "rate-limit-charged";

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        try
        {
            // A value that does not bind (RateLimiting__Burst=lots) stops the start naming the section, as a range error does.
            _ = builder.Configuration.GetSection(RateLimitingOptions.SectionName).Get<RateLimitingOptions>();
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(RateLimitingOptions.SectionName, typeof(RateLimitingOptions),
                [$"RateLimiting__Enabled must be true or false, and the other RateLimiting__ settings whole numbers: {ex.Message}"]);
        }

        builder.Services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>, AdminKeyVerifier>((o, limits, admin) =>
        {
            var settings = limits.Value;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
            o.GlobalLimiter = settings.Enabled
                ? PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, settings, admin))
                : null;
        });
        return builder;
    }

    /// <summary>After <c>UseAuthentication</c> (the partition is the authenticated key) and before <c>UseAuthorization</c>.</summary>
    public static WebApplication UseRateLimits(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<RateLimitingOptions>>().Value.Enabled)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    /// <summary>
    /// Whether this request may cost a key lookup (a grain call, and a storage read for a key never seen): only while its
    /// client address has budget left for requests without a valid key, so that a flood of random keys is refused before
    /// it reaches storage. Asked during authentication, when the request falls in its address's partition. With
    /// <paramref name="charge"/> the lookup takes a permit, which the request then does not pay again if the key proves
    /// unknown: the lookups of an address never exceed its budget, however many run at once. Without it (while the key
    /// cache is not subscribed, and every request of a valid key is looked up) it only checks that permits are left.
    /// </summary>
    public static bool MayLookUpKey(HttpContext context, RateLimiterOptions options, bool charge)
    {
        if (options.GlobalLimiter is not { } limiter)
        {
            return true;
        }

        using var lease = limiter.AttemptAcquire(context, charge ? 1 : 0);
        if (charge && lease.IsAcquired)
        {
            context.Items[ChargedItem] = true;
        }

        return lease.IsAcquired;
    }

    /// <summary>Writes the 429: <c>Retry-After</c> in whole seconds (at least 1) and a problem+json body.</summary>
    public static Task WriteTooManyRequestsAsync(HttpContext context, TimeSpan? retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var detail = context.User.HasClaim(c => c.Type == Caller.ApiKeyClaim)
            ? $"This API key has sent more requests than this gateway allows per second; retry after {seconds} s (Retry-After)."
            : $"Too many requests without a valid key from this address; retry after {seconds} s (Retry-After) with a valid x-api-key.";
        return ApiProblems.TooManyRequests(detail).ExecuteAsync(context);
    }

    private static ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken) =>
        new(WriteTooManyRequestsAsync(rejected.HttpContext,
            rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null));

    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitingOptions settings, AdminKeyVerifier admin)
    {
        var path = context.Request.Path;
        if (path == "/" || Unlimited.Any(p => path.StartsWithSegments(p)))
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        if (path.StartsWithSegments(AdminPaths))
        {
            return admin.IsValid(context.Request.Headers[AdminKeyFilter.Header].ToString())
                ? RateLimitPartition.GetNoLimiter("operator")
                : ByAddress(context, settings);
        }

        return context.User.FindFirst(Caller.ApiKeyClaim)?.Value is { } apiKeyId
            ? RateLimitPartition.GetTokenBucketLimiter("key:" + apiKeyId, _ => Bucket(settings.PermitsPerSecond, settings.Burst))
            : context.Items.ContainsKey(ChargedItem) ? RateLimitPartition.GetNoLimiter("charged")
            : ByAddress(context, settings);
    }

    private static RateLimitPartition<string> ByAddress(HttpContext context, RateLimitingOptions settings) =>
        RateLimitPartition.GetTokenBucketLimiter(
            "address:" + ClientAddress(context.Connection.RemoteIpAddress),
            _ => Bucket(settings.UnauthenticatedPerSecond, settings.UnauthenticatedPerSecond));

    /// <summary>
    /// The client as the limits see it: an IPv4 address as it is (also when mapped into IPv6), an IPv6 address by its
    /// /64 network, which one client usually holds whole.
    /// </summary>
    internal static string ClientAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>A bucket of <paramref name="burst"/> permits refilled at <paramref name="perSecond"/> (continuously), no queue.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
