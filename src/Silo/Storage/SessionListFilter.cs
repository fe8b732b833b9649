namespace OrleansShare.Silo.Storage;

/// <summary>
/// Which sessions of one application to list. Null members do not filter. <paramref name="SessionKind"/> is
/// <c>user</c>, <c>business</c> or null for both; <paramref name="DateFrom"/> and <paramref name="DateTo"/>
/// bound <c>created_at</c> inclusively (millisecond precision).
/// </summary>
public sealed record SessionListFilter(
    Guid ApplicationId,
    string? Status,
    string? SessionKind,
    string? VendorData,
    Guid? WorkflowId,
    DateTimeOffset? DateFrom,
    DateTimeOffset? DateTo,
    int Limit,
    int Offset);
