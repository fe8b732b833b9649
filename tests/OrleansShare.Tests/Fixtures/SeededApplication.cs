using System.Collections.Immutable;

namespace OrleansShare.Tests.Fixtures;

/// <summary>An application seeded through its grain, with its default user workflow.</summary>
public sealed record SeededApplication(Guid ApplicationId, Guid WorkflowId, ImmutableArray<string> Features);
