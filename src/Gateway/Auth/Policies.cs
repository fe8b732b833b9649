using Microsoft.AspNetCore.Authorization;
using OrleansShare.Grains.ApiKeys;

namespace OrleansShare.Gateway.Auth;

/// <summary>Authorization policies: one per privilege.</summary>
internal static class Policies
{
    public const string ReadSessions = Privileges.ReadSessions;
    public const string WriteSessions = Privileges.WriteSessions;

    public static void Add(AuthorizationOptions options)
    {
        foreach (var privilege in Privileges.All)
        {
            options.AddPolicy(privilege, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(Caller.PrivilegeClaim, privilege));
        }
    }
}
