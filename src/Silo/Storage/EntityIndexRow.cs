namespace OrleansShare.Silo.Storage;

/// <summary>
/// One entity: a vendor_data value and its sessions, oldest first. <paramref name="CreatedAt"/> is the creation
/// time of its earliest session (UTC, millisecond precision).
/// </summary>
public sealed record EntityIndexRow(string VendorData, IReadOnlyList<Guid> SessionIds, DateTimeOffset CreatedAt);
