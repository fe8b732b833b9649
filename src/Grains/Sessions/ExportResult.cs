namespace OrleansShare.Grains.Sessions;

/// <summary>
/// The answer of a source session to an import: the snapshot to clone once the import is recorded
/// (<see cref="ExportStatus.Ready"/>), the plan of a redemption of the same token begun earlier
/// (<see cref="ExportStatus.Begun"/>), the caller's earlier import (<see cref="ExportStatus.AlreadyImported"/>),
/// or that there is nothing to import.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ExportResult")]
public sealed record ExportResult(
    [property: Id(0)] ExportStatus Status,
    [property: Id(1)] SessionView? Source = null,
    [property: Id(2)] ImportPlan? Plan = null,
    [property: Id(3)] Guid? ExistingSessionId = null);
