namespace OrleansShare.Grains.Governance;

/// <summary>
/// What one session write changes in the share ledger: a token minted, redeemed or revoked. A session sets it on the
/// write that makes the change and clears it on every other; the storage trigger that keeps <c>session_index</c>
/// applies it to <c>share_ledger</c> in the same transaction (migration 008), so the ledger and the sessions never
/// disagree, and lists of shares are read from the table, never from a growing grain state.
/// The trigger reads these properties by their snake_case names: renaming one breaks the ledger.
/// </summary>
[GenerateSerializer, Immutable, Alias("governance.LedgerChange")]
public sealed record LedgerChange
{
    public const string Minted = "shared";
    public const string Redeemed = "redeemed";
    public const string Revoked = "revoked";

    /// <summary><see cref="Minted"/>, <see cref="Redeemed"/> or <see cref="Revoked"/>.</summary>
    [Id(0)] public string Change { get; init; } = "";

    /// <summary>The token's <c>jti</c>.</summary>
    [Id(1)] public string TokenId { get; init; } = "";

    /// <summary>The application the token is for: the importer.</summary>
    [Id(2)] public Guid PartnerApplicationId { get; init; }

    [Id(3)] public string? Purpose { get; init; }

    /// <summary>The section names in scope, joined by commas; null: every section.</summary>
    [Id(4)] public string? Scope { get; init; }

    [Id(5)] public ShareConsent? Consent { get; init; }

    /// <summary>When the token was minted, redeemed or revoked.</summary>
    [Id(6)] public DateTimeOffset At { get; init; }

    [Id(7)] public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>On <see cref="Redeemed"/>: the clone.</summary>
    [Id(8)] public Guid? ImportedSessionId { get; init; }
}
