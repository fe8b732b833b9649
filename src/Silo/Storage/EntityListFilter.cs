namespace OrleansShare.Silo.Storage;

/// <summary>Which entities (distinct vendor_data values) of one application and session kind to list; one when <paramref name="VendorData"/> is given.</summary>
public sealed record EntityListFilter(Guid ApplicationId, string SessionKind, int Limit, int Offset, string? VendorData = null);
