using System.Collections.Immutable;
using System.Globalization;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Governance;

/// <summary>
/// The terms a token was minted under, as the <c>shared</c>, <c>imported_by_partner</c> and <c>imported</c> entries record
/// them in <c>details</c> (API.md, Share governance): <c>purpose</c>, <c>scope</c> (section names joined by commas) and
/// <c>expires_at</c>, each only when the token has it.
/// </summary>
public static class ShareTerms
{
    public static ImmutableDictionary<string, string> WithTerms(this ImmutableDictionary<string, string> details, string? purpose, string? scope)
    {
        if (purpose is not null)
        {
            details = details.Add("purpose", purpose);
        }

        return scope is null ? details : details.Add("scope", scope);
    }

    public static ImmutableDictionary<string, string> WithTerms(this ImmutableDictionary<string, string> details, ImportPlan plan)
    {
        details = details.WithTerms(plan.Purpose, plan.Scope is { } scope ? string.Join(',', scope) : null);
        return plan.ExpiresAt is { } expiresAt && !details.ContainsKey("expires_at")
            ? details.Add("expires_at", Iso(expiresAt))
            : details;
    }

    /// <summary>A time as the activity log's details write it: ISO 8601 UTC with milliseconds.</summary>
    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
