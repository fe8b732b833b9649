using System.Collections.Immutable;

namespace OrleansShare.Grains.Governance;

/// <summary>
/// What an application allows of its own shares (API.md, <c>PUT /v3/sharing-policy/</c>), and, as an importer, how old a
/// verification it accepts as decided. The default allows any partner, requires nothing, and caps tokens at a day.
/// </summary>
[GenerateSerializer, Immutable, Alias("governance.SharingPolicy")]
public sealed record SharingPolicy
{
    public const int MaxTtlSeconds = 86_400;
    public const int MinTtlSeconds = 60;
    public const int DefaultTtlSeconds = 3_600;
    public const int MaxAllowedPartners = 1_000;

    /// <summary>The partners shares may name; null: any; empty: none (sharing off).</summary>
    [Id(0)] public ImmutableArray<Guid>? AllowedPartners { get; init; }

    [Id(1)] public bool RequireConsent { get; init; }

    [Id(2)] public bool RequirePurpose { get; init; }

    [Id(3)] public int MaxTtlInSeconds { get; init; } = MaxTtlSeconds;

    /// <summary>As an importer: a source decision older than this many days lands In Review; null: no limit.</summary>
    [Id(4)] public int? MaxVerificationAgeDays { get; init; }

    public static SharingPolicy Default { get; } = new();

    /// <summary>The lifetime of a share that asks for none: the smaller of an hour and the policy's maximum.</summary>
    public int DefaultTtl => Math.Min(DefaultTtlSeconds, MaxTtlInSeconds);
}
