using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// Everything decided before a clone is made. The source session stores it with its <c>imported_by_partner</c>
/// record, so that a redemption interrupted after that write is completed exactly as it was begun, by the next
/// call for the token or by the silo's recovery sweep.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ImportPlan")]
public sealed record ImportPlan
{
    /// <summary>The share token grain's key (see <c>ShareTokenKey</c>).</summary>
    [Id(0)] public string TokenKey { get; init; } = "";
    [Id(1)] public string TokenId { get; init; } = "";
    [Id(2)] public Guid ImporterApplicationId { get; init; }
    [Id(3)] public Guid SourceApplicationId { get; init; }
    [Id(4)] public Guid SourceSessionId { get; init; }
    [Id(5)] public SessionKind Kind { get; init; }
    [Id(6)] public Guid NewSessionId { get; init; }
    [Id(7)] public long SessionNumber { get; init; }
    [Id(8)] public Guid WorkflowId { get; init; }
    [Id(9)] public ImmutableArray<string> Features { get; init; } = [];
    [Id(10)] public bool TrustReview { get; init; }
    [Id(11)] public string? VendorData { get; init; }
    [Id(12)] public string Actor { get; init; } = "";
    [Id(13)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>The request that began the plan: only it is answered with the clone (any call of the importer when null).</summary>
    [Id(14)] public Guid? CallId { get; init; }

    /// <summary>The token's purpose and scope (section names; null: every section), as it was minted.</summary>
    [Id(15)] public string? Purpose { get; init; }

    [Id(16)] public ImmutableArray<string>? Scope { get; init; }

    [Id(17)] public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Why the source's decision was not kept (see <c>Freshness</c>); null when nothing was stale.</summary>
    [Id(18)] public string? Freshness { get; init; }
}
