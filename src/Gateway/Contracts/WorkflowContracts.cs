namespace OrleansShare.Gateway.Contracts;

public sealed record WorkflowFeatureResponse(string Feature, RawJson? Config);

public sealed record WorkflowResponse(
    Guid WorkflowId, string WorkflowLabel, string WorkflowKind, IReadOnlyList<WorkflowFeatureResponse> Features,
    bool IsDefault, DateTimeOffset CreatedAt);
