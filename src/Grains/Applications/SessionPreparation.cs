namespace OrleansShare.Grains.Applications;

/// <summary>
/// The workflow, session number and trust decision for a session about to be created; on an import,
/// <see cref="Freshness"/> names why the source's decision is not kept (then <see cref="TrustReview"/> is false).
/// </summary>
[GenerateSerializer, Immutable, Alias("applications.SessionPreparation")]
public sealed record SessionPreparation(
    [property: Id(0)] PreparationStatus Status,
    [property: Id(1)] WorkflowInfo? Workflow,
    [property: Id(2)] long SessionNumber,
    [property: Id(3)] bool TrustReview,
    [property: Id(4)] string? Freshness = null)
{
    public static SessionPreparation Failed(PreparationStatus status) => new(status, null, 0, false);
}
