namespace OrleansShare.Silo.Storage;

/// <summary>
/// A redemption of which some writes landed and some not yet: its token, its source, and its clone when the clone's
/// write is one that landed.
/// </summary>
public sealed record PendingRedemption(string TokenKey, Guid SourceSessionId, Guid? CloneSessionId);
