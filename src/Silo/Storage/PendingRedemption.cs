namespace OrleansShare.Silo.Storage;

/// <summary>A redemption whose source recorded the import and whose token has not stored its outcome yet.</summary>
public sealed record PendingRedemption(string TokenKey, Guid SourceSessionId);
