using System.Security.Claims;

namespace OrleansShare.Gateway.Auth;

/// <summary>The authenticated application and key behind a request.</summary>
internal sealed record Caller(Guid ApplicationId, Guid ApiKeyId)
{
    public const string ApplicationClaim = "application_id";
    public const string ApiKeyClaim = "api_key_id";
    public const string PrivilegeClaim = "privilege";

    /// <summary>How the activity log names this caller.</summary>
    public string Actor => $"api_key:{ApiKeyId}";

    public static Caller From(ClaimsPrincipal user) => new(
        Guid.Parse(user.FindFirstValue(ApplicationClaim)!),
        Guid.Parse(user.FindFirstValue(ApiKeyClaim)!));
}
