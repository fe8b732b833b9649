using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sharing;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// One session. Its row is read when a call first needs it, not at activation: a session being created, or a clone
/// being made, has none, and its first write is an insert that a row already there refuses.
/// </summary>
[GrainType("session")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class SessionGrain(
    [FromKeyedServices(StorageNames.Grains)] IGrainStorage storage,
    TimeProvider time) : Grain, ISessionGrain
{
    /// <summary>How long an importer held by <see cref="ISessionGrain.BeginExport"/> stays held without its record.</summary>
    private static readonly TimeSpan ExportHold = TimeSpan.FromSeconds(30);

    private LazyPersistentState<SessionState>? _state;

    /// <summary>The view of the stored state, built once per change: reads are answered without copying the session.</summary>
    private SessionView? _view;

    /// <summary>The stored state's <see cref="SessionSize"/>, kept so that an appended audit entry costs only its own.</summary>
    private long? _size;

    /// <summary>Importers held for a token between <c>BeginExport</c> and <c>RecordExport</c>: memory only, never stored.</summary>
    private readonly Dictionary<Guid, (string TokenKey, DateTimeOffset Since)> _exportsUnderWay = [];

    /// <summary>The silo's dispatcher, given each first event as soon as it is stored.</summary>
    private IFirstEventHandoff? _handoff;

    private LazyPersistentState<SessionState> Stored => _state ??= new(storage, StateNames.Session, this.GetGrainId());

    private bool Live => Stored.RecordExists && !Stored.State.Deleted;

    private bool OwnedBy(Guid applicationId) => Live && Stored.State.ApplicationId == applicationId;

    async Task<CreateSessionResult> ISessionGrain.Create(CreateSessionCommand command)
    {
        // Not read first: the id is new, and the insert is refused (a version conflict) if a row has it after all.
        if (Stored.RecordExists)
        {
            throw new InvalidOperationException($"Session {this.GetPrimaryKey()} already exists.");
        }

        var preparation = await GrainFactory.Reference<IApplicationGrain>(command.ApplicationId).PrepareSession(command.WorkflowId);
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

    async Task<SessionView?> ISessionGrain.Get(Guid applicationId)
    {
        await Stored.EnsureReadAsync();
        return OwnedBy(applicationId) ? View() : null;
    }

    async Task<SessionResult> ISessionGrain.RecordDecision(Guid applicationId, DecisionCommand command)
    {
        await Stored.EnsureReadAsync();
        if (!OwnedBy(applicationId))
        {
            return SessionResult.NotFound;
        }

        var kind = Stored.State.SessionKind;
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
        return await PersistWithinCap(WithStatusEvent(Stored.State with
        {
            Status = command.Status,
            Sections = Stored.State.Sections.SetItems(command.Sections),
            Activity = Stored.State.Activity.Add(entry),
        }, entry.CreatedAt), entry);
    }

    async Task<SessionResult> ISessionGrain.Review(Guid applicationId, ReviewCommand command)
    {
        await Stored.EnsureReadAsync();
        if (!OwnedBy(applicationId))
        {
            return SessionResult.NotFound;
        }

        // update-status sets Didit's three statuses; a review may record any status of the session's kind.
        var kind = Stored.State.SessionKind;
        var updatesStatus = command.Action == ActivityActions.StatusUpdated;
        if (command.NewStatus is { } status && !(updatesStatus ? SessionStatuses.IsUpdatable(kind, status) : SessionStatuses.IsKnown(kind, status)))
        {
            var allowed = string.Join(", ", updatesStatus ? SessionStatuses.Updatable(kind) : SessionStatuses.All(kind));
            return SessionResult.Invalid("new_status", updatesStatus
                ? $"update-status sets a {kind.ToWire()} session to: {allowed}. A review may record any other status of its kind."
                : $"A review may record any status of a {kind.ToWire()} session: {allowed}.");
        }

        var entry = new ActivityEntry(command.Action, command.Actor, command.NewStatus, command.Comment, time.UtcNowMilliseconds(), null);
        var next = Stored.State with
        {
            Status = command.NewStatus ?? Stored.State.Status,
            Activity = Stored.State.Activity.Add(entry),
        };

        // update-status is a status change even when it names the current status; a review only when it changes it.
        var changesStatus = command.NewStatus is not null && (updatesStatus || command.NewStatus != Stored.State.Status);
        return await PersistWithinCap(changesStatus ? WithStatusEvent(next, entry.CreatedAt) : next, entry);
    }

    async Task<bool> ISessionGrain.Delete(Guid applicationId)
    {
        await Stored.EnsureReadAsync();
        if (!OwnedBy(applicationId))
        {
            return false;
        }

        await Persist(new SessionState
        {
            SessionId = Stored.State.SessionId,
            ApplicationId = Stored.State.ApplicationId,
            SessionKind = Stored.State.SessionKind,
            CreatedAt = Stored.State.CreatedAt,
            Deleted = true,
        });
        return true;
    }

    async Task<ShareResult> ISessionGrain.Share(ShareCommand command)
    {
        await Stored.EnsureReadAsync();
        // API.md's order: the session, its status, the body, the target application, then the lifetime.
        if (!OwnedBy(command.ApplicationId))
        {
            return new ShareResult(ShareStatus.NotFound, default);
        }

        var kind = Stored.State.SessionKind;
        if (!SessionStatuses.IsFinished(kind, Stored.State.Status))
        {
            return new ShareResult(ShareStatus.NotFinished, kind, Stored.State.Status);
        }

        if (!command.BodyValid)
        {
            return new ShareResult(ShareStatus.BodyInvalid, kind);
        }

        if (command.Scope is { } scope && scope.FirstOrDefault(section => !Sections.Belongs(kind, section)) is { } foreign)
        {
            return new ShareResult(ShareStatus.ScopeInvalid, kind, Reason:
                $"'{foreign}' is not a section of a {kind.ToWire()} session; allowed: {string.Join(", ", Sections.For(kind))}.");
        }

        if (command.ForApplicationId == command.ApplicationId)
        {
            return new ShareResult(ShareStatus.SelfShare, kind);
        }

        // The partner and this application's sharing policy, asked together (both answer from memory).
        var partner = GrainFactory.Reference<IApplicationGrain>(command.ForApplicationId).GetInfo();
        var authorization = GrainFactory.Reference<IApplicationGrain>(command.ApplicationId).AuthorizeShare(new ShareAuthorizationRequest(
            command.ForApplicationId, command.TtlValid ? command.TtlSeconds : null, command.Purpose is not null, command.Consent is not null));
        await Task.WhenAll(partner, authorization);
        if (partner.Result is not { Deleted: false })
        {
            return new ShareResult(ShareStatus.PartnerMissing, kind);
        }

        if (!command.TtlValid)
        {
            return new ShareResult(ShareStatus.TtlInvalid, kind);
        }

        if (authorization.Result is { Allowed: false } refused)
        {
            return new ShareResult(ShareStatus.PolicyRefused, kind, Rule: refused.Rule, Reason: refused.Reason);
        }

        var tokenId = Guid.NewGuid().ToString();
        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(authorization.Result.TtlSeconds);
        var scopeText = command.Scope is { } sections ? string.Join(',', sections) : null;
        var details = ImmutableDictionary<string, string>.Empty
            .Add("token_id", tokenId)
            .Add("for_application_id", command.ForApplicationId.ToString())
            .Add("expires_at", ShareTerms.Iso(expiresAt))
            .Add("api_key_id", command.ApiKeyId.ToString())
            .WithTerms(command.Purpose, scopeText);
        var entry = new ActivityEntry(ActivityActions.Shared, command.Actor, null, null, time.UtcNowMilliseconds(), details);
        var size = Size + SessionSize.Of(entry);
        if (size > SessionSize.MaxBytes)
        {
            return new ShareResult(ShareStatus.SessionFull, kind);
        }

        var minted = new LedgerChange
        {
            Change = LedgerChange.Minted,
            TokenId = tokenId,
            PartnerApplicationId = command.ForApplicationId,
            Purpose = command.Purpose,
            Scope = scopeText,
            Consent = command.Consent,
            At = entry.CreatedAt,
            ExpiresAt = expiresAt,
        };
        await Persist(Stored.State with { Activity = Stored.State.Activity.Add(entry) }, size: size, ledger: minted);
        return new ShareResult(ShareStatus.Recorded, kind, null, tokenId, issuedAt, expiresAt);
    }

    async Task<RevokeShareStatus> ISessionGrain.RevokeShare(Guid applicationId, string tokenId)
    {
        await Stored.EnsureReadAsync();
        if (!OwnedBy(applicationId))
        {
            return RevokeShareStatus.SessionNotFound;
        }

        if (Stored.State.RevokedTokens.ContainsKey(tokenId))
        {
            return RevokeShareStatus.Revoked;
        }

        var minted = Stored.State.Activity.FirstOrDefault(e => e.Action == ActivityActions.Shared && e.Details?.GetValueOrDefault("token_id") == tokenId);
        if (minted is null)
        {
            return RevokeShareStatus.TokenNotFound;
        }

        // Its import recorded, or begun (BeginExport holds the importer for it until RecordExport): the import wins.
        var tokenKey = ShareTokenKey.FromJti(tokenId);
        var now = time.GetUtcNow();
        if (Stored.State.ExportPlans.Values.Any(p => p.TokenId == tokenId)
            || _exportsUnderWay.Values.Any(held => held.TokenKey == tokenKey && now - held.Since < ExportHold))
        {
            return RevokeShareStatus.AlreadyRedeemed;
        }

        // So does an import whose clone was made while this session's record of it was lost (a failed write, a crash):
        // the redemption is finished from the clone. Asked of the clone's id, derived from this session and the partner.
        _ = Guid.TryParse(minted.Details!.GetValueOrDefault("for_application_id"), out var partner);
        if (partner != Guid.Empty
            && await GrainFactory.Reference<ISessionGrain>(NameBasedGuid.ForImport(this.GetPrimaryKey(), partner)).FindRedemptionPlan(tokenKey) is not null)
        {
            return RevokeShareStatus.AlreadyRedeemed;
        }

        var revokedAt = time.UtcNowMilliseconds();
        await Persist(
            Stored.State with { RevokedTokens = Stored.State.RevokedTokens.SetItem(tokenId, revokedAt) },
            ledger: new LedgerChange { Change = LedgerChange.Revoked, TokenId = tokenId, PartnerApplicationId = partner, At = revokedAt });
        return RevokeShareStatus.Revoked;
    }

    async Task<ExportResult> ISessionGrain.BeginExport(ExportRequest request)
    {
        await Stored.EnsureReadAsync();
        if (!OwnedBy(request.SourceApplicationId) || Stored.State.SessionKind != request.Kind)
        {
            return new ExportResult(ExportStatus.SourceMissing);
        }

        if (!request.Resuming && IsRevoked(request.TokenKey))
        {
            return new ExportResult(ExportStatus.Revoked);
        }

        var importer = request.ImporterApplicationId;
        if (Stored.State.ImportedInto.TryGetValue(importer, out var importedAs))
        {
            return Stored.State.ExportPlans.GetValueOrDefault(importer) is { } plan && plan.TokenKey == request.TokenKey
                ? new ExportResult(ExportStatus.Begun, View(), plan)
                : new ExportResult(ExportStatus.AlreadyImported, ExistingSessionId: importedAs);
        }

        var now = time.GetUtcNow();
        if (_exportsUnderWay.TryGetValue(importer, out var held) && held.TokenKey != request.TokenKey && now - held.Since < ExportHold)
        {
            // Another token of the same importer is being redeemed: its clone is the one import this application gets.
            return new ExportResult(ExportStatus.AlreadyImported, ExistingSessionId: NameBasedGuid.ForImport(this.GetPrimaryKey(), importer));
        }

        _exportsUnderWay[importer] = (request.TokenKey, now);
        return new ExportResult(ExportStatus.Ready, View());
    }

    async Task ISessionGrain.RecordExport(ImportPlan plan)
    {
        try
        {
            await Stored.EnsureReadAsync();
            if (!OwnedBy(plan.SourceApplicationId) || Stored.State.ImportedInto.ContainsKey(plan.ImporterApplicationId))
            {
                // Deleted since, or recorded already (by an earlier attempt of this redemption): nothing to add.
                return;
            }

            var details = ImmutableDictionary<string, string>.Empty
                .Add("partner_application_id", plan.ImporterApplicationId.ToString())
                .Add("partner_session_id", plan.NewSessionId.ToString())
                .Add("token_id", plan.TokenId)
                .WithTerms(plan);
            var entry = new ActivityEntry(ActivityActions.ImportedByPartner, plan.Actor, null, null, time.UtcNowMilliseconds(), details);
            var redeemed = new LedgerChange
            {
                Change = LedgerChange.Redeemed,
                TokenId = plan.TokenId,
                PartnerApplicationId = plan.ImporterApplicationId,
                At = plan.StartedAt,
                ImportedSessionId = plan.NewSessionId,
            };
            await Persist(
                Stored.State with
                {
                    ImportedInto = Stored.State.ImportedInto.Add(plan.ImporterApplicationId, plan.NewSessionId),
                    ExportPlans = Stored.State.ExportPlans.SetItem(plan.ImporterApplicationId, plan),
                    Activity = Stored.State.Activity.Add(entry),

                    // A revocation that came after this redemption began (its hold lost with a silo) did not stop it.
                    RevokedTokens = Stored.State.RevokedTokens.Remove(plan.TokenId),
                },
                pendingRedemption: plan.TokenKey,
                ledger: redeemed);
        }
        finally
        {
            Release(plan.ImporterApplicationId, plan.TokenKey);
        }
    }

    /// <summary>Answered from memory, and only looked up when something was revoked: a token never revoked costs nothing.</summary>
    private bool IsRevoked(string tokenKey) =>
        !Stored.State.RevokedTokens.IsEmpty && Stored.State.RevokedTokens.ContainsKey(ShareTokenKey.ToTokenId(tokenKey));

    Task ISessionGrain.AbandonExport(Guid importerApplicationId, string tokenKey)
    {
        Release(importerApplicationId, tokenKey);
        return Task.CompletedTask;
    }

    private void Release(Guid importerApplicationId, string tokenKey)
    {
        if (_exportsUnderWay.TryGetValue(importerApplicationId, out var held) && held.TokenKey == tokenKey)
        {
            _exportsUnderWay.Remove(importerApplicationId);
        }
    }

    async Task<ImportPlan?> ISessionGrain.FindRedemptionPlan(string tokenKey)
    {
        await Stored.EnsureReadAsync();
        if (!Live)
        {
            return null;
        }

        return Stored.State.ExportPlans.Values.FirstOrDefault(p => p.TokenKey == tokenKey)
            ?? (Stored.State.ImportedFrom is { } madeFrom && madeFrom.TokenKey == tokenKey ? madeFrom : null);
    }

    /// <summary>
    /// The source's own sharing audit names its other partners and its keys: a clone keeps the review
    /// history and decisions, not that.
    /// </summary>
    private static bool IsSharingAudit(ActivityEntry entry) =>
        entry.Action is ActivityActions.Shared or ActivityActions.ImportedByPartner;

    async Task<CloneResult> ISessionGrain.InitializeAsImport(ImportSeed seed)
    {
        if (Stored.IsRead && Stored.RecordExists)
        {
            return AsCloneOf(seed.Plan);
        }

        try
        {
            await Persist(CloneOf(seed), completedRedemption: seed.Plan.TokenKey);
            return new CloneResult(CloneStatus.Made, View());
        }
        catch (InconsistentStateException) when (!Stored.IsRead)
        {
            // The id has a row (an earlier attempt of this redemption, or another token's import): the row decides.
            await Stored.ReadStateAsync();
            return AsCloneOf(seed.Plan);
        }
    }

    /// <summary>What this existing session is to a redemption of <paramref name="plan"/>.</summary>
    private CloneResult AsCloneOf(ImportPlan plan)
    {
        if (!Live)
        {
            return new CloneResult(CloneStatus.Deleted);
        }

        // A clone of an earlier version has no plan stored; its id was derived from the token that made it.
        var madeBy = Stored.State.ImportedFrom?.TokenKey;
        var sameToken = madeBy is null
            ? this.GetPrimaryKey() == NameBasedGuid.Create(NameBasedGuid.ImportedSessions, plan.TokenKey)
            : madeBy == plan.TokenKey;
        return sameToken ? new CloneResult(CloneStatus.Made, View()) : new CloneResult(CloneStatus.MadeByAnotherToken);
    }

    private SessionState CloneOf(ImportSeed seed)
    {
        var (source, plan) = (seed.Source, seed.Plan);
        var status = plan.TrustReview ? source.Status : SessionStatuses.InReview(plan.Kind);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("source_application_id", plan.SourceApplicationId.ToString())
            .Add("source_session_id", plan.SourceSessionId.ToString())
            .Add("token_id", plan.TokenId)
            .Add("trust_review", plan.TrustReview ? "true" : "false")
            .WithTerms(plan);
        if (plan.Freshness is { } stale)
        {
            details = details.Add("freshness", stale);
        }

        var imported = new ActivityEntry(ActivityActions.Imported, plan.Actor, status, null, plan.StartedAt, details);
        return new SessionState
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
            // Selective disclosure: a scoped token's clone holds the sections in scope and no other.
            Sections = plan.Scope is { } scope ? source.Sections.RemoveRange(source.Sections.Keys.Where(s => !scope.Contains(s))) : source.Sections,
            Activity = [.. source.Activity.Where(e => !IsSharingAudit(e)), imported],
            ImportedFrom = plan,

            // The importer's status.updated rides in the clone's own first write: no extra write on the import path.
            Events = [new SessionEvent(NameBasedGuid.Create(NameBasedGuid.ImportedSessions, $"status.updated:{plan.TokenKey}"), 1, WebhookEvents.StatusUpdated, status, plan.StartedAt)],
            EventSequence = 1,
        };
    }

    async Task<Guid?> ISessionGrain.GetOwner()
    {
        await Stored.EnsureReadAsync();
        return Stored.RecordExists ? Stored.State.ApplicationId : null;
    }

    /// <summary>A change a caller sends (a decision, a review), kept only while the session stays within its cap.</summary>
    private async Task<SessionResult> PersistWithinCap(SessionState next, ActivityEntry entry)
    {
        var size = SessionSize.Of(next);
        if (size > SessionSize.MaxBytes)
        {
            return SessionResult.TooLarge(size);
        }

        await Persist(next, size: size);
        return SessionResult.Ok(View(), entry);
    }

    /// <summary>
    /// Every change goes through here. The redemption markers and the ledger change the storage trigger reads are set by
    /// the one write they belong to (a source recording an import, a clone's creation, a share, a revocation) and reset
    /// by every other.
    /// </summary>
    private async Task Persist(
        SessionState next, string? pendingRedemption = null, string? completedRedemption = null, long? size = null, LedgerChange? ledger = null)
    {
        _view = null;
        _size = null;
        // Events belong to the write that made them: kept only when this write carries new ones (a higher sequence).
        var events = next.EventSequence > Stored.State.EventSequence || !Stored.RecordExists ? next.Events : [];
        await Stored.WriteAsync(next with { PendingRedemption = pendingRedemption, CompletedRedemption = completedRedemption, Events = events, Ledger = ledger }, this);
        _size = size;
        if (events is [{ Sequence: 1 } first, ..])
        {
            (_handoff ??= IFirstEventHandoff.Of(ServiceProvider)).Stored(View(), first);
        }
    }

    /// <summary>
    /// <paramref name="next"/> with a <c>status.updated</c> event for its status, the session's next in sequence. Its id
    /// (the <c>X-Webhook-Id</c>) is a version 7 UUID, ordered by time, so the outbox and delivery-log keys grow at
    /// their ends instead of landing on a random index page each.
    /// </summary>
    private static SessionState WithStatusEvent(SessionState next, DateTimeOffset at)
    {
        var sequence = next.EventSequence + 1;
        return next with
        {
            Events = [new SessionEvent(Guid.CreateVersion7(at), sequence, WebhookEvents.StatusUpdated, next.Status, at)],
            EventSequence = sequence,
        };
    }

    private SessionView View() => _view ??= ToView(Stored.State);

    private long Size => _size ??= SessionSize.Of(Stored.State);

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
