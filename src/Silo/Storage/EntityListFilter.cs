namespace OrleansShare.Silo.Storage;

/// <summary>Which entities (distinct vendor_data values) of one application and session kind to list.</summary>
public sealed record EntityListFilter(Guid ApplicationId, string SessionKind, int Limit, int Offset);
