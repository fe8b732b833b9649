using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>Creates a session in <c>Not Started</c>; free-form objects are JSON text.</summary>
[GenerateSerializer, Immutable, Alias("sessions.CreateSessionCommand")]
public sealed record CreateSessionCommand(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] long SessionNumber,
    [property: Id(2)] SessionKind Kind,
    [property: Id(3)] Guid WorkflowId,
    [property: Id(4)] ImmutableArray<string> Features,
    [property: Id(5)] string? VendorData,
    [property: Id(6)] string? Metadata,
    [property: Id(7)] string? ExpectedDetails,
    [property: Id(8)] string? ContactDetails,
    [property: Id(9)] string? Callback,
    [property: Id(10)] string? Language,
    [property: Id(11)] string Actor);
