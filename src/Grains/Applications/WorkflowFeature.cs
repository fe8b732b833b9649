namespace OrleansShare.Grains.Applications;

/// <summary>One feature of a workflow, with its configuration kept as the JSON text it arrived as.</summary>
[GenerateSerializer, Immutable, Alias("applications.WorkflowFeature")]
public sealed record WorkflowFeature(
    [property: Id(0)] string Feature,
    [property: Id(1)] string? Config);
