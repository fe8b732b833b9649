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

    [Alias("review")]
    Task<SessionResult> Review(Guid applicationId, ReviewCommand command);

    [Alias("delete")]
    Task<bool> Delete(Guid applicationId);

    /// <summary>Checks the share rules (owner, finished status, partner) and persists the <c>shared</c> audit entry.</summary>
    [Alias("share")]
    Task<ShareResult> Share(ShareCommand command);

    /// <summary>Whether this session can be imported as asked, without changing anything.</summary>
    [Alias("check-import")]
    [RetrySafe]
    Task<ExportResult> CheckImport(ImportCheck check);

    /// <summary>
    /// Records <c>imported_by_partner</c> with the plan and returns the snapshot to clone. Idempotent for the same
    /// clone; a second import into the same partner application is refused, naming the first.
    /// </summary>
    [Alias("export-to-partner")]
    [RetrySafe]
    Task<ExportResult> ExportToPartner(ImportPlan plan);

    /// <summary>The plan of this session's import by the token <paramref name="tokenKey"/>, when it recorded one.</summary>
    [Alias("find-export-plan")]
    [RetrySafe]
    Task<ImportPlan?> FindExportPlan(string tokenKey);

    /// <summary>Creates this session as a clone; idempotent. Null when this id was deleted.</summary>
    [Alias("initialize-as-import")]
    [RetrySafe]
    Task<SessionView?> InitializeAsImport(ImportSeed seed);

    /// <summary>The application this id was created in, deleted or not; null when it was never created.</summary>
    [Alias("get-owner")]
    [RetrySafe]
    Task<Guid?> GetOwner();
}
