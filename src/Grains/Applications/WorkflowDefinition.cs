using System.Collections.Immutable;

namespace OrleansShare.Grains.Applications;

/// <summary>A validated request to create a workflow.</summary>
[GenerateSerializer, Immutable, Alias("applications.WorkflowDefinition")]
public sealed record WorkflowDefinition(
    [property: Id(0)] string Label,
    [property: Id(1)] ImmutableArray<WorkflowFeature> Features,
    [property: Id(2)] bool IsDefault)
{
    /// <summary>Workflows one application may have: its state, and the list that answers them, stay bounded.</summary>
    public const int MaxPerApplication = 100;
}
