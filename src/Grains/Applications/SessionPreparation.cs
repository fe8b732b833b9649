namespace OrleansShare.Grains.Applications;

/// <summary>The workflow, session number and trust decision for a session about to be created.</summary>
[GenerateSerializer, Immutable, Alias("applications.SessionPreparation")]
public sealed record SessionPreparation(
    [property: Id(0)] PreparationStatus Status,
    [property: Id(1)] WorkflowInfo? Workflow,
    [property: Id(2)] long SessionNumber,
    [property: Id(3)] bool TrustReview)
{
    public static SessionPreparation Failed(PreparationStatus status) => new(status, null, 0, false);
}
