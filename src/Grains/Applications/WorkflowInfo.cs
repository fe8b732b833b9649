using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Applications;

/// <summary>A workflow of an application.</summary>
[GenerateSerializer, Immutable, Alias("applications.WorkflowInfo")]
public sealed record WorkflowInfo(
    [property: Id(0)] Guid WorkflowId,
    [property: Id(1)] string Label,
    [property: Id(2)] SessionKind Kind,
    [property: Id(3)] ImmutableArray<WorkflowFeature> Features,
    [property: Id(4)] bool IsDefault,
    [property: Id(5)] DateTimeOffset CreatedAt)
{
    public ImmutableArray<string> FeatureNames() => [.. Features.Select(f => f.Feature)];
}
