using System.Collections.Immutable;

namespace OrleansShare.Grains.Applications;

/// <summary>A validated request to create a workflow.</summary>
[GenerateSerializer, Immutable, Alias("applications.WorkflowDefinition")]
public sealed record WorkflowDefinition(
    [property: Id(0)] string Label,
    [property: Id(1)] ImmutableArray<WorkflowFeature> Features,
    [property: Id(2)] bool IsDefault);
