using System.Text.Json.Serialization;
using OrleansShare.Grains.Governance;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Contracts;

public sealed record ConsentResponse(DateTimeOffset ObtainedAt, string Method, string? Reference);

/// <summary>One token of <c>GET /v3/session/{id}/shares/</c>.</summary>
public sealed record SessionShareResponse(
    string TokenId,
    Guid ForApplicationId,
    string? Purpose,
    IReadOnlyList<string>? Scope,
    ConsentResponse? Consent,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    string State,
    DateTimeOffset? RedeemedAt,
    DateTimeOffset? RevokedAt);

/// <summary>One entry of <c>GET /v3/share-ledger/</c>; <see cref="ImportedSessionId"/> only on the importer's own entries.</summary>
public sealed record LedgerEntryResponse(
    string Direction,
    string TokenId,
    Guid SessionId,
    Guid PartnerApplicationId,
    string SessionKind,
    string? Purpose,
    IReadOnlyList<string>? Scope,
    ConsentResponse? Consent,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    string State,
    DateTimeOffset? RedeemedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? ImportedSessionId);

public sealed record SharingPolicyResponse(
    IReadOnlyList<Guid>? AllowedPartners,
    bool RequireConsent,
    bool RequirePurpose,
    int MaxTtlInSeconds,
    int? MaxVerificationAgeDays);

internal static class GovernanceMappings
{
    public static SessionShareResponse ToSessionShare(this LedgerRow row, DateTimeOffset now) => new(
        row.TokenId, row.PartnerApplicationId, row.Purpose, ScopeOf(row), ConsentOf(row), row.CreatedAt, row.ExpiresAt, StateOf(row, now),
        row.RedeemedAt, row.RevokedAt);

    public static LedgerEntryResponse ToLedgerEntry(this LedgerRow row, DateTimeOffset now) => new(
        row.Direction, row.TokenId, row.SessionId, row.PartnerApplicationId, row.SessionKind, row.Purpose, ScopeOf(row), ConsentOf(row),
        row.CreatedAt, row.ExpiresAt, StateOf(row, now), row.RedeemedAt, row.ImportedSessionId);

    public static SharingPolicyResponse ToContract(this SharingPolicy policy) => new(
        policy.AllowedPartners is { } allowed ? [.. allowed] : null, policy.RequireConsent, policy.RequirePurpose, policy.MaxTtlInSeconds,
        policy.MaxVerificationAgeDays);

    /// <summary>A token's state now: <c>redeemed</c>, <c>revoked</c>, <c>expired</c> or <c>pending</c>.</summary>
    private static string StateOf(LedgerRow row, DateTimeOffset now) => row switch
    {
        { RedeemedAt: not null } => "redeemed",
        { RevokedAt: not null } => "revoked",
        { ExpiresAt: { } expiresAt } when expiresAt <= now => "expired",
        _ => "pending",
    };

    private static string[]? ScopeOf(LedgerRow row) => row.Scope?.Split(',');

    private static ConsentResponse? ConsentOf(LedgerRow row) =>
        row is { ConsentObtainedAt: { } obtainedAt, ConsentMethod: { } method } ? new ConsentResponse(obtainedAt, method, row.ConsentReference) : null;
}
