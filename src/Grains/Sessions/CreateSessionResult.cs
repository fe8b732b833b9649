using OrleansShare.Grains.Applications;

namespace OrleansShare.Grains.Sessions;

/// <summary>The created session, or why its application could not prepare it.</summary>
[GenerateSerializer, Immutable, Alias("sessions.CreateSessionResult")]
public sealed record CreateSessionResult(
    [property: Id(0)] PreparationStatus Status,
    [property: Id(1)] SessionView? Session);
