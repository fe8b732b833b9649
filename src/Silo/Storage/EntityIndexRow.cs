namespace OrleansShare.Silo.Storage;

/// <summary>
/// One entity: a vendor_data value and its sessions, oldest first, at most
/// <see cref="SessionIndexQuery.MaxSessionIdsPerEntity"/> of them; <paramref name="SessionCount"/> is how many it has.
/// <paramref name="CreatedAt"/> is the creation time of its earliest session (UTC, millisecond precision).
/// </summary>
public sealed record EntityIndexRow(string VendorData, IReadOnlyList<Guid> SessionIds, long SessionCount, DateTimeOffset CreatedAt);
