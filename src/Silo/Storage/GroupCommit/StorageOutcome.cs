namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// What the database answered for one operation. A read: <see cref="Version"/> is null when there is no row,
/// <see cref="Payload"/> null when the row has none. A write or clear: <see cref="Version"/> is the new version,
/// or null when the version check matched nothing (a conflict).
/// </summary>
internal readonly record struct StorageOutcome(int? Version, byte[]? Payload);
