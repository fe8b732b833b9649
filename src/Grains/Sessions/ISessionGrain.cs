using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>One verification session. Every call names the calling application; another application's session is not found.</summary>
[Alias("sessions.ISessionGrain")]
public interface ISessionGrain : IGrainWithGuidKey
{
    [Alias("create")]
    Task<SessionState> Create(CreateSessionCommand command);

    /// <summary>The session when it exists, is not deleted and belongs to <paramref name="applicationId"/>.</summary>
    [Alias("get")]
    [RetrySafe]
    Task<SessionState?> Get(Guid applicationId);

    [Alias("record-decision")]
    Task<SessionResult> RecordDecision(Guid applicationId, DecisionCommand command);

    [Alias("review")]
    Task<SessionResult> Review(Guid applicationId, ReviewCommand command);

    [Alias("delete")]
    Task<bool> Delete(Guid applicationId);

    /// <summary>Checks that the session may be shared and persists the <c>shared</c> audit entry.</summary>
    [Alias("record-share")]
    Task<ShareResult> RecordShare(ShareRecord record);

    /// <summary>
    /// Records <c>imported_by_partner</c> and returns the snapshot to clone. Idempotent for the same partner session;
    /// a second import into the same partner application is refused.
    /// </summary>
    [Alias("export-to-partner")]
    Task<ExportResult> ExportToPartner(ImportReservation reservation);

    /// <summary>Creates this session as a clone; idempotent. Null when this id was deleted.</summary>
    [Alias("initialize-as-import")]
    Task<SessionState?> InitializeAsImport(ImportSeed seed);
}
