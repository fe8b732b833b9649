namespace OrleansShare.Grains.Sessions;

/// <summary>Creates a session in <c>Not Started</c> under a workflow of its application (the default one when null); free-form objects are JSON text.</summary>
[GenerateSerializer, Immutable, Alias("sessions.CreateSessionCommand")]
public sealed record CreateSessionCommand(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] Guid? WorkflowId,
    [property: Id(2)] string? VendorData,
    [property: Id(3)] string? Metadata,
    [property: Id(4)] string? ExpectedDetails,
    [property: Id(5)] string? ContactDetails,
    [property: Id(6)] string? Callback,
    [property: Id(7)] string? Language,
    [property: Id(8)] string Actor);
