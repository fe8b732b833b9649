using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>One verification session. Every call names the calling application; another application's session is not found.</summary>
[Alias("sessions.ISessionGrain")]
public interface ISessionGrain : IGrainWithGuidKey
{
    /// <summary>Creates this session under a workflow its application resolves (and numbers it).</summary>
    [Alias("create")]
    Task<CreateSessionResult> Create(CreateSessionCommand command);

    /// <summary>The session when it exists, is not deleted and belongs to <paramref name="applicationId"/>.</summary>
    [Alias("get")]
    [RetrySafe]
    Task<SessionView?> Get(Guid applicationId);

    [Alias("record-decision")]
    Task<SessionResult> RecordDecision(Guid applicationId, DecisionCommand command);

    /// <summary>
    /// A review (<c>reviewed</c>: any status of the session's kind, or none) or an <c>update-status</c>
    /// (<c>status_updated</c>: Didit's three), as the command's action says.
    /// </summary>
    [Alias("review")]
    Task<SessionResult> Review(Guid applicationId, ReviewCommand command);

    [Alias("delete")]
    Task<bool> Delete(Guid applicationId);

    /// <summary>Checks the share rules (owner, finished status, partner) and persists the <c>shared</c> audit entry.</summary>
    [Alias("share")]
    Task<ShareResult> Share(ShareCommand command);

    /// <summary>
    /// Revokes a share token this session minted (<paramref name="tokenId"/> is its <c>jti</c>), so that
    /// <see cref="BeginExport"/> refuses it from then on: <c>Revoked</c> also when it was revoked before;
    /// <c>AlreadyRedeemed</c> when its import was recorded, is under way, or made its clone; <c>TokenNotFound</c> when this
    /// session never minted it; <c>SessionNotFound</c> when the session is not the caller's. One write, only when it revokes.
    /// </summary>
    [Alias("revoke-share")]
    [RetrySafe]
    Task<RevokeShareStatus> RevokeShare(Guid applicationId, string tokenId);

    /// <summary>
    /// Whether this session can be imported as asked, and the snapshot to clone: <c>Ready</c> (nothing recorded yet;
    /// the importer is held for this token until <see cref="RecordExport"/>, so another token of the same importer is
    /// refused meanwhile), <c>Begun</c> (this token's import was recorded before, with its plan), <c>AlreadyImported</c>
    /// (another token's), <c>Revoked</c> (its issuer revoked the token, and the request resumes no redemption begun
    /// before), or <c>SourceMissing</c>. Changes nothing stored.
    /// </summary>
    [Alias("begin-export")]
    [RetrySafe]
    Task<ExportResult> BeginExport(ExportRequest request);

    /// <summary>
    /// Records <c>imported_by_partner</c> with the plan, unless an import into that application is recorded already
    /// (then nothing changes); sent together with the clone's and the token's writes.
    /// </summary>
    [Alias("record-export")]
    [RetrySafe]
    Task RecordExport(ImportPlan plan);

    /// <summary>Lets go of an importer held by <see cref="BeginExport"/> for a token whose import will not go on.</summary>
    [Alias("abandon-export")]
    [RetrySafe]
    Task AbandonExport(Guid importerApplicationId, string tokenKey);

    /// <summary>
    /// The plan of the redemption by <paramref name="tokenKey"/> that this session recorded: as its source (the plan it
    /// exported under) or as its clone (the plan it was made from).
    /// </summary>
    [Alias("find-redemption-plan")]
    [RetrySafe]
    Task<ImportPlan?> FindRedemptionPlan(string tokenKey);

    /// <summary>
    /// Creates this session as the clone of <paramref name="seed"/>, with no storage read when the id is new (the insert
    /// is refused when a row exists, and the row then decides). Idempotent for the same token.
    /// </summary>
    [Alias("initialize-as-import")]
    [RetrySafe]
    Task<CloneResult> InitializeAsImport(ImportSeed seed);

    /// <summary>The application this id was created in, deleted or not; null when it was never created.</summary>
    [Alias("get-owner")]
    [RetrySafe]
    Task<Guid?> GetOwner();
}
