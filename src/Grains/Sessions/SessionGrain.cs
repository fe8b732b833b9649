using System.Collections.Immutable;
using System.Globalization;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

[GrainType("session")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class SessionGrain(
    [PersistentState(StateNames.Session, StorageNames.Grains)] IPersistentState<SessionState> state,
    TimeProvider time) : Grain, ISessionGrain
{
    /// <summary>The view of the stored state, built once per change: reads are answered without copying the session.</summary>
    private SessionView? _view;

    private bool Live => state.RecordExists && !state.State.Deleted;

    private bool OwnedBy(Guid applicationId) => Live && state.State.ApplicationId == applicationId;

    async Task<CreateSessionResult> ISessionGrain.Create(CreateSessionCommand command)
    {
        if (state.RecordExists)
        {
            throw new InvalidOperationException($"Session {this.GetPrimaryKey()} already exists.");
        }

        var preparation = await GrainFactory.GetGrain<IApplicationGrain>(command.ApplicationId).PrepareSession(command.WorkflowId);
        if (preparation.Workflow is not { } workflow)
        {
            return new CreateSessionResult(preparation.Status, null);
        }

        var now = time.UtcNowMilliseconds();
        var kind = workflow.Kind;
        await Persist(new SessionState
        {
            SessionId = this.GetPrimaryKey(),
            ApplicationId = command.ApplicationId,
            SessionNumber = preparation.SessionNumber,
            SessionKind = kind,
            Status = SessionStatuses.NotStarted(kind),
            WorkflowId = workflow.WorkflowId,
            Features = workflow.FeatureNames(),
            VendorData = command.VendorData,
            Metadata = command.Metadata,
            ExpectedDetails = command.ExpectedDetails,
            ContactDetails = command.ContactDetails,
            Callback = command.Callback,
            Language = command.Language,
            CreatedAt = now,
            Activity = [new ActivityEntry(ActivityActions.Created, command.Actor, SessionStatuses.NotStarted(kind), null, now, null)],
        });
        return new CreateSessionResult(PreparationStatus.Ready, View());
    }

    Task<SessionView?> ISessionGrain.Get(Guid applicationId) => Task.FromResult(OwnedBy(applicationId) ? View() : null);

    async Task<SessionResult> ISessionGrain.RecordDecision(Guid applicationId, DecisionCommand command)
    {
        if (!OwnedBy(applicationId))
        {
            return SessionResult.NotFound;
        }

        var kind = state.State.SessionKind;
        if (!SessionStatuses.IsFinished(kind, command.Status))
        {
            return SessionResult.Invalid("status", $"A decision must carry a finished status of a {kind.ToWire()} session: {string.Join(", ", SessionStatuses.Finished(kind))}.");
        }

        foreach (var section in command.Sections.Keys)
        {
            if (!Sections.Belongs(kind, section))
            {
                return SessionResult.Invalid(section, $"'{section}' is not a section of a {kind.ToWire()} session; allowed: {string.Join(", ", Sections.For(kind))}.");
            }
        }

        var entry = new ActivityEntry(ActivityActions.DecisionRecorded, command.Actor, command.Status, null, time.UtcNowMilliseconds(), null);
        await Persist(state.State with
        {
            Status = command.Status,
            Sections = state.State.Sections.SetItems(command.Sections),
            Activity = state.State.Activity.Add(entry),
        });
        return SessionResult.Ok(View(), entry);
    }

    async Task<SessionResult> ISessionGrain.Review(Guid applicationId, ReviewCommand command)
    {
        if (!OwnedBy(applicationId))
        {
            return SessionResult.NotFound;
        }

        var kind = state.State.SessionKind;
        if (command.NewStatus is { } status && !SessionStatuses.IsReviewable(kind, status))
        {
            return SessionResult.Invalid("new_status", $"A reviewer may set a {kind.ToWire()} session to: {string.Join(", ", SessionStatuses.Reviewable(kind))}.");
        }

        var entry = new ActivityEntry(command.Action, command.Actor, command.NewStatus, command.Comment, time.UtcNowMilliseconds(), null);
        await Persist(state.State with
        {
            Status = command.NewStatus ?? state.State.Status,
            Activity = state.State.Activity.Add(entry),
        });
        return SessionResult.Ok(View(), entry);
    }

    async Task<bool> ISessionGrain.Delete(Guid applicationId)
    {
        if (!OwnedBy(applicationId))
        {
            return false;
        }

        await Persist(new SessionState
        {
            SessionId = state.State.SessionId,
            ApplicationId = state.State.ApplicationId,
            SessionKind = state.State.SessionKind,
            CreatedAt = state.State.CreatedAt,
            Deleted = true,
        });
        return true;
    }

    async Task<ShareResult> ISessionGrain.Share(ShareCommand command)
    {
        // API.md's order: the session, its status, the body, the target application, then the lifetime.
        if (!OwnedBy(command.ApplicationId))
        {
            return new ShareResult(ShareStatus.NotFound, default);
        }

        var kind = state.State.SessionKind;
        if (!SessionStatuses.IsFinished(kind, state.State.Status))
        {
            return new ShareResult(ShareStatus.NotFinished, kind, state.State.Status);
        }

        if (!command.BodyValid)
        {
            return new ShareResult(ShareStatus.BodyInvalid, kind);
        }

        if (command.ForApplicationId == command.ApplicationId)
        {
            return new ShareResult(ShareStatus.SelfShare, kind);
        }

        if (await GrainFactory.GetGrain<IApplicationGrain>(command.ForApplicationId).GetInfo() is not { Deleted: false })
        {
            return new ShareResult(ShareStatus.PartnerMissing, kind);
        }

        if (command.TtlSeconds is not { } ttl)
        {
            return new ShareResult(ShareStatus.TtlInvalid, kind);
        }

        var tokenId = Guid.NewGuid().ToString();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(ttl);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("token_id", tokenId)
            .Add("for_application_id", command.ForApplicationId.ToString())
            .Add("expires_at", expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Add("api_key_id", command.ApiKeyId.ToString());
        var entry = new ActivityEntry(ActivityActions.Shared, command.Actor, null, null, time.UtcNowMilliseconds(), details);
        await Persist(state.State with { Activity = state.State.Activity.Add(entry) });
        return new ShareResult(ShareStatus.Recorded, kind, null, tokenId, issuedAt, expiresAt);
    }

    Task<ExportResult> ISessionGrain.CheckImport(ImportCheck check)
    {
        if (!OwnedBy(check.SourceApplicationId) || state.State.SessionKind != check.Kind)
        {
            return Task.FromResult(new ExportResult(ExportStatus.SourceMissing));
        }

        return Task.FromResult(ExistingImport(check.ImporterApplicationId, check.CloneId) ?? new ExportResult(ExportStatus.Ready));
    }

    async Task<ExportResult> ISessionGrain.ExportToPartner(ImportPlan plan)
    {
        if (!OwnedBy(plan.SourceApplicationId) || state.State.SessionKind != plan.Kind)
        {
            return new ExportResult(ExportStatus.SourceMissing);
        }

        if (ExistingImport(plan.ImporterApplicationId, plan.NewSessionId) is { } existing)
        {
            // The same redemption again (a retry, or the completion of an interrupted one): nothing more to record.
            return existing.Status == ExportStatus.Begun ? new ExportResult(ExportStatus.Ready, View(), existing.Plan) : existing;
        }

        var source = View();
        var details = ImmutableDictionary<string, string>.Empty
            .Add("partner_application_id", plan.ImporterApplicationId.ToString())
            .Add("partner_session_id", plan.NewSessionId.ToString())
            .Add("token_id", plan.TokenId);
        var entry = new ActivityEntry(ActivityActions.ImportedByPartner, plan.Actor, null, null, time.UtcNowMilliseconds(), details);
        await Persist(
            state.State with
            {
                ImportedInto = state.State.ImportedInto.Add(plan.ImporterApplicationId, plan.NewSessionId),
                ExportPlans = state.State.ExportPlans.SetItem(plan.ImporterApplicationId, plan),
                Activity = state.State.Activity.Add(entry),
            },
            pendingRedemption: plan.TokenKey);
        return new ExportResult(ExportStatus.Ready, source, plan);
    }

    Task<ImportPlan?> ISessionGrain.FindExportPlan(string tokenKey) =>
        Task.FromResult(Live ? state.State.ExportPlans.Values.FirstOrDefault(p => p.TokenKey == tokenKey) : null);

    /// <summary>
    /// The import of this session into <paramref name="importerApplicationId"/> when there is one: <c>Begun</c> when it
    /// is the clone <paramref name="cloneId"/> (the same token), else <c>AlreadyImported</c> naming that earlier clone.
    /// </summary>
    private ExportResult? ExistingImport(Guid importerApplicationId, Guid cloneId)
    {
        if (!state.State.ImportedInto.TryGetValue(importerApplicationId, out var importedAs))
        {
            return null;
        }

        return importedAs == cloneId
            ? new ExportResult(ExportStatus.Begun, Plan: state.State.ExportPlans.GetValueOrDefault(importerApplicationId))
            : new ExportResult(ExportStatus.AlreadyImported, ExistingSessionId: importedAs);
    }

    /// <summary>
    /// The source's own sharing audit names its other partners and its keys: a clone keeps the review
    /// history and decisions, not that.
    /// </summary>
    private static bool IsSharingAudit(ActivityEntry entry) =>
        entry.Action is ActivityActions.Shared or ActivityActions.ImportedByPartner;

    async Task<SessionView?> ISessionGrain.InitializeAsImport(ImportSeed seed)
    {
        if (state.RecordExists)
        {
            return Live ? View() : null;
        }

        var (source, plan) = (seed.Source, seed.Plan);
        var status = plan.TrustReview ? source.Status : SessionStatuses.InReview(plan.Kind);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("source_application_id", plan.SourceApplicationId.ToString())
            .Add("source_session_id", plan.SourceSessionId.ToString())
            .Add("token_id", plan.TokenId)
            .Add("trust_review", plan.TrustReview ? "true" : "false");
        var imported = new ActivityEntry(ActivityActions.Imported, plan.Actor, status, null, plan.StartedAt, details);
        await Persist(new SessionState
        {
            SessionId = this.GetPrimaryKey(),
            ApplicationId = plan.ImporterApplicationId,
            SessionNumber = plan.SessionNumber,
            SessionKind = source.SessionKind,
            Status = status,
            WorkflowId = plan.WorkflowId,
            Features = plan.Features,
            VendorData = plan.VendorData,
            Metadata = source.Metadata,
            ExpectedDetails = source.ExpectedDetails,
            ContactDetails = source.ContactDetails,
            Callback = source.Callback,
            SharedFromSession = source.SessionId,
            CreatedAt = plan.StartedAt,
            Sections = source.Sections,
            Activity = [.. source.Activity.Where(e => !IsSharingAudit(e)), imported],
        }, completedRedemption: plan.TokenKey);
        return View();
    }

    Task<Guid?> ISessionGrain.GetOwner() => Task.FromResult(state.RecordExists ? state.State.ApplicationId : (Guid?)null);

    /// <summary>
    /// Every change goes through here. The redemption markers the storage trigger reads are set by the one write they
    /// belong to (a source recording an import, a clone's creation) and reset by every other.
    /// </summary>
    private Task Persist(SessionState next, string? pendingRedemption = null, string? completedRedemption = null)
    {
        _view = null;
        return state.WriteAsync(next with { PendingRedemption = pendingRedemption, CompletedRedemption = completedRedemption }, this);
    }

    private SessionView View() => _view ??= ToView(state.State);

    private static SessionView ToView(SessionState s) =>
        new()
        {
            SessionId = s.SessionId,
            ApplicationId = s.ApplicationId,
            SessionNumber = s.SessionNumber,
            SessionKind = s.SessionKind,
            Status = s.Status,
            WorkflowId = s.WorkflowId,
            Features = s.Features,
            VendorData = s.VendorData,
            Metadata = s.Metadata,
            ExpectedDetails = s.ExpectedDetails,
            ContactDetails = s.ContactDetails,
            Callback = s.Callback,
            SharedFromSession = s.SharedFromSession,
            CreatedAt = s.CreatedAt,
            Sections = s.Sections,
            Activity = s.Activity,
        };
}
