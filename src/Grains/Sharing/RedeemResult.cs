using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// The outcome of a redemption: the clone when this call imported it; when the session was already imported
/// into the caller's application, the id of that earlier import where it is known, so a caller whose first
/// answer was lost can find its session.
/// </summary>
[GenerateSerializer, Immutable, Alias("sharing.RedeemResult")]
public sealed record RedeemResult(
    [property: Id(0)] RedeemStatus Status,
    [property: Id(1)] SessionView? Session,
    [property: Id(2)] Guid? ExistingSessionId = null)
{
    public static RedeemResult Of(RedeemStatus status) => new(status, null);

    public static RedeemResult AlreadyImportedAs(Guid sessionId) => new(RedeemStatus.AlreadyImported, null, sessionId);
}
