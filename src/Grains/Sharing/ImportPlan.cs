using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Everything decided before the clone is made, persisted with the <c>redeeming</c> state so that a
/// half-done redemption is completed exactly as it was begun.
/// </summary>
public sealed record ImportPlan
{
    public Guid ImporterApplicationId { get; init; }
    public Guid SourceApplicationId { get; init; }
    public Guid SourceSessionId { get; init; }
    public SessionKind Kind { get; init; }
    public Guid NewSessionId { get; init; }
    public long SessionNumber { get; init; }
    public Guid WorkflowId { get; init; }
    public ImmutableArray<string> Features { get; init; } = [];
    public bool TrustReview { get; init; }
    public string? VendorData { get; init; }
    public string Actor { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The request that began the plan: only it is answered with the clone (any call of the importer when null).</summary>
    public Guid? CallId { get; init; }
}
