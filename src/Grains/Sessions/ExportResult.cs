namespace OrleansShare.Grains.Sessions;

/// <summary>The source session as it stood before the import was recorded, or why it cannot be imported.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ExportResult")]
public sealed record ExportResult(
    [property: Id(0)] ExportStatus Status,
    [property: Id(1)] SessionState? Source);
