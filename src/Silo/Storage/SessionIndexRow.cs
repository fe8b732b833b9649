namespace OrleansShare.Silo.Storage;

/// <summary>One session as the index knows it; <paramref name="CreatedAt"/> is UTC, millisecond precision.</summary>
public sealed record SessionIndexRow(
    Guid SessionId,
    long SessionNumber,
    string SessionKind,
    string Status,
    string? VendorData,
    Guid? WorkflowId,
    DateTimeOffset CreatedAt);
