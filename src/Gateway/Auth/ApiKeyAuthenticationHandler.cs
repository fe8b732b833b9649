using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OrleansShare.Gateway.Hosting;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.ApiKeys;

namespace OrleansShare.Gateway.Auth;

/// <summary>
/// Authenticates <c>x-api-key</c> through this gateway's <see cref="ApiKeyCache"/>, which asks the key's grain
/// when it does not know the key and forgets a key as soon as it is revoked anywhere. A key it cannot answer from memory
/// is looked up only while the client's address has budget left for requests without a valid key (<see cref="RateLimits"/>):
/// past it, a flood of random keys is refused with 429 and costs no grain call.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyCache keys,
    IOptions<RateLimiterOptions> limits) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "x-api-key";

    private const string FailureItem = "api-key-failure";
    private const string ThrottledItem = "api-key-throttled";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[Header].ToString();
        if (string.IsNullOrEmpty(presented))
        {
            Context.Items[FailureItem] = "Send your application's API key in the x-api-key header.";
            return AuthenticateResult.NoResult();
        }

        var grainKey = ApiKeyHash.GrainKey(presented);
        if (!keys.TryAnswerFromMemory(grainKey, out var identity))
        {
            // A lookup the key's requests do not share already takes one of the address's permits while the cache is
            // subscribed (a valid key is then cached); while it is not, every request of a valid key is looked up, so
            // it only checks that permits are left.
            var charge = keys.IsServing;
            if (keys.LookUp(grainKey, () => RateLimits.MayLookUpKey(Context, limits.Value, charge)) is not { } lookup)
            {
                Context.Items[ThrottledItem] = true;
                return AuthenticateResult.Fail("Too many requests without a valid key from this address.");
            }

            identity = await lookup;
        }

        if (identity is null)
        {
            Context.Items[FailureItem] = "The API key in x-api-key is unknown or has been revoked.";
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var claims = new List<Claim>
        {
            new(Caller.ApplicationClaim, identity.ApplicationId.ToString()),
            new(Caller.ApiKeyClaim, identity.ApiKeyId.ToString()),
        };
        claims.AddRange(identity.Privileges.Select(p => new Claim(Caller.PrivilegeClaim, p)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(ThrottledItem))
        {
            // The rate limiter normally refused this request already; it gets here only when a permit came back since.
            return RateLimits.WriteTooManyRequestsAsync(Context, retryAfter: null);
        }

        var detail = Context.Items[FailureItem] as string ?? "Send your application's API key in the x-api-key header.";
        return ApiProblems.Unauthorized(detail).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Request.Method is "GET" or "HEAD" ? Privileges.ReadSessions : Privileges.WriteSessions;
        return ApiProblems.Forbidden($"This API key lacks the '{needed}' privilege this call needs.").ExecuteAsync(Context);
    }
}
