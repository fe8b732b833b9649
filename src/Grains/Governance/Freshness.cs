using System.Globalization;
using System.Text.Json;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Governance;

/// <summary>
/// Freshness on import (API.md, Share governance): what about a source session makes its decision too old to keep, whatever
/// <c>trust_review</c> says. The importer's policy sets the age limit; an expired ID document needs no policy.
/// </summary>
public static class Freshness
{
    public const string VerificationTooOld = "verification_too_old";
    public const string DocumentExpired = "document_expired";

    /// <summary>
    /// The reasons, joined by commas, that the source's decision cannot be kept; null when it can.
    /// <paramref name="decidedAt"/> is when the source decision was recorded.
    /// </summary>
    public static string? Reasons(DateTimeOffset decidedAt, bool documentExpired, int? maxAgeDays, DateTimeOffset now)
    {
        var tooOld = maxAgeDays is { } days && now - decidedAt > TimeSpan.FromDays(days);
        return (tooOld, documentExpired) switch
        {
            (true, true) => $"{VerificationTooOld},{DocumentExpired}",
            (true, false) => VerificationTooOld,
            (false, true) => DocumentExpired,
            _ => null,
        };
    }

    /// <summary>
    /// Whether any <c>id_verifications</c> entry has an <c>expiration_date</c> before <paramref name="today"/>. A date that
    /// does not parse is not taken as expired: the importer's reviewers see the document as it is.
    /// </summary>
    public static bool AnyDocumentExpired(string? idVerifications, DateOnly today)
    {
        if (idVerifications is null || !idVerifications.Contains("expiration_date", StringComparison.Ordinal))
        {
            return false;
        }

        using var document = JsonDocument.Parse(idVerifications);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in document.RootElement.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("expiration_date", out var expiry)
                && expiry.ValueKind == JsonValueKind.String
                && ParseDate(expiry.GetString()!) is { } date
                && date < today)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>When a session's decision was last recorded: its latest <c>decision_recorded</c> entry, else its creation.</summary>
    public static DateTimeOffset DecidedAt(IEnumerable<ActivityEntry> activity, DateTimeOffset createdAt) =>
        activity.LastOrDefault(e => e.Action == ActivityActions.DecisionRecorded)?.CreatedAt ?? createdAt;

    private static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment) ? DateOnly.FromDateTime(moment.UtcDateTime)
        : null;
}
