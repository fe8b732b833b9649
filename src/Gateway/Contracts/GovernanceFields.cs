using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;

namespace OrleansShare.Gateway.Contracts;

/// <summary>A share's optional <c>purpose</c>, <c>scope</c> and <c>consent</c> (API.md, Share governance).</summary>
internal static class GovernanceFields
{
    /// <summary>How far ahead of this service's clock a consent's <c>obtained_at</c> may be: the clocks' disagreement.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    public static string? Purpose(this BodyFields fields)
    {
        var purpose = fields.String("purpose");
        if (purpose is not null && !ShareGovernance.IsPurpose(purpose))
        {
            fields.Fail("purpose", $"Must be a lowercase word of 1 to {ShareGovernance.MaxPurposeLength} characters from a-z, 0-9, _ and -, such as onboarding.");
            return null;
        }

        return purpose;
    }

    /// <summary>Section names, each once, in the order given; whether they belong to the session's kind is the session's to say.</summary>
    public static ImmutableArray<string>? Scope(this BodyFields fields)
    {
        if (!fields.TryGet("scope", out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            fields.Fail("scope", "Must be a non-empty list of section names.");
            return null;
        }

        var sections = ImmutableArray.CreateBuilder<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !Sections.IsAnySection(item.GetString()!))
            {
                fields.Fail("scope", $"Every item must be a section name. User sections: {string.Join(", ", Sections.User)}; business sections: {string.Join(", ", Sections.Business)}.");
                return null;
            }

            if (!sections.Contains(item.GetString()!))
            {
                sections.Add(item.GetString()!);
            }
        }

        return sections.ToImmutable();
    }

    public static ShareConsent? Consent(this BodyFields fields, DateTimeOffset now)
    {
        if (!fields.TryGet("consent", out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            fields.Fail("consent", "Must be an object: {\"obtained_at\", \"method\", \"reference\"}.");
            return null;
        }

        var consent = new BodyFields(value);
        var obtainedText = consent.String("consent.obtained_at", Member(value, "obtained_at"), required: true);
        var method = consent.String("consent.method", Member(value, "method"), required: true, maxLength: ShareGovernance.MaxConsentMethodLength);
        var reference = consent.String("consent.reference", Member(value, "reference"), maxLength: ShareGovernance.MaxConsentReferenceLength);
        DateTimeOffset obtainedAt = default;
        if (obtainedText is not null)
        {
            if (!DateTimeOffset.TryParse(obtainedText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out obtainedAt))
            {
                consent.Fail("consent.obtained_at", "Must be an ISO 8601 time, such as 2026-11-30T10:15:00Z.");
            }
            else if (obtainedAt > now + ClockSkew)
            {
                consent.Fail("consent.obtained_at", "Must not be in the future: consent is obtained before the share.");
            }
        }

        foreach (var (field, messages) in consent.Errors)
        {
            foreach (var message in messages)
            {
                fields.Fail(field, message);
            }
        }

        return consent.HasErrors ? null : new ShareConsent(obtainedAt.ToUniversalTime(), method!, reference);
    }

    private static JsonElement? Member(JsonElement value, string name) => value.TryGetProperty(name, out var member) ? member : null;
}
