namespace OrleansShare.Grains.Applications;

/// <summary>Outcome of resolving the workflow for a new or imported session.</summary>
[GenerateSerializer, Alias("applications.PreparationStatus")]
public enum PreparationStatus
{
    Ready = 0,
    ApplicationMissing = 1,
    WorkflowNotFound = 2,
    NoDefaultWorkflow = 3,
    KindMismatch = 4,
}
