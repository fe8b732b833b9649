using System.Collections.Immutable;
using System.Globalization;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

[GrainType("session")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class SessionGrain(
    [PersistentState(StateNames.Session, StorageNames.Grains)] IPersistentState<SessionState> state,
    TimeProvider time) : Grain, ISessionGrain
{
    private bool Live => state.RecordExists && !state.State.Deleted;

    private bool OwnedBy(Guid applicationId) => Live && state.State.ApplicationId == applicationId;

    async Task<SessionState> ISessionGrain.Create(CreateSessionCommand command)
    {
        if (state.RecordExists)
        {
            throw new InvalidOperationException($"Session {this.GetPrimaryKey()} already exists.");
        }

        var now = time.UtcNowMilliseconds();
        state.State = new SessionState
        {
            SessionId = this.GetPrimaryKey(),
            ApplicationId = command.ApplicationId,
            SessionNumber = command.SessionNumber,
            SessionKind = command.Kind,
            Status = SessionStatuses.NotStarted(command.Kind),
            WorkflowId = command.WorkflowId,
            Features = command.Features,
            VendorData = command.VendorData,
            Metadata = command.Metadata,
            ExpectedDetails = command.ExpectedDetails,
            ContactDetails = command.ContactDetails,
            Callback = command.Callback,
            Language = command.Language,
            CreatedAt = now,
            Activity = [new ActivityEntry(ActivityActions.Created, command.Actor, SessionStatuses.NotStarted(command.Kind), null, now, null)],
        };
        await state.WriteStateAsync();
        return state.State;
    }

    Task<SessionState?> ISessionGrain.Get(Guid applicationId) => Task.FromResult(OwnedBy(applicationId) ? state.State : null);

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
        state.State = state.State with
        {
            Status = command.Status,
            Sections = state.State.Sections.SetItems(command.Sections),
            Activity = state.State.Activity.Add(entry),
        };
        await state.WriteStateAsync();
        return SessionResult.Ok(state.State, entry);
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
        state.State = state.State with
        {
            Status = command.NewStatus ?? state.State.Status,
            Activity = state.State.Activity.Add(entry),
        };
        await state.WriteStateAsync();
        return SessionResult.Ok(state.State, entry);
    }

    async Task<bool> ISessionGrain.Delete(Guid applicationId)
    {
        if (!OwnedBy(applicationId))
        {
            return false;
        }

        state.State = new SessionState
        {
            SessionId = state.State.SessionId,
            ApplicationId = state.State.ApplicationId,
            SessionKind = state.State.SessionKind,
            CreatedAt = state.State.CreatedAt,
            Deleted = true,
        };
        await state.WriteStateAsync();
        return true;
    }

    async Task<ShareResult> ISessionGrain.RecordShare(ShareRecord record)
    {
        if (!OwnedBy(record.ApplicationId))
        {
            return new ShareResult(ShareStatus.NotFound, default);
        }

        var kind = state.State.SessionKind;
        if (!SessionStatuses.IsFinished(kind, state.State.Status))
        {
            return new ShareResult(ShareStatus.NotFinished, kind);
        }

        var details = ImmutableDictionary<string, string>.Empty
            .Add("token_id", record.TokenId)
            .Add("for_application_id", record.ForApplicationId.ToString())
            .Add("expires_at", record.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Add("api_key_id", record.ApiKeyId.ToString());
        var entry = new ActivityEntry(ActivityActions.Shared, record.Actor, null, null, time.UtcNowMilliseconds(), details);
        state.State = state.State with { Activity = state.State.Activity.Add(entry) };
        await state.WriteStateAsync();
        return new ShareResult(ShareStatus.Recorded, kind);
    }

    async Task<ExportResult> ISessionGrain.ExportToPartner(ImportReservation reservation)
    {
        if (!OwnedBy(reservation.SourceApplicationId))
        {
            return new ExportResult(ExportStatus.SourceMissing, null);
        }

        if (state.State.ImportedInto.TryGetValue(reservation.PartnerApplicationId, out var existing))
        {
            return existing == reservation.PartnerSessionId
                ? new ExportResult(ExportStatus.Ready, state.State)
                : new ExportResult(ExportStatus.AlreadyImported, null);
        }

        var source = state.State;
        var details = ImmutableDictionary<string, string>.Empty
            .Add("partner_application_id", reservation.PartnerApplicationId.ToString())
            .Add("partner_session_id", reservation.PartnerSessionId.ToString())
            .Add("token_id", reservation.TokenId);
        var entry = new ActivityEntry(ActivityActions.ImportedByPartner, reservation.Actor, null, null, time.UtcNowMilliseconds(), details);
        state.State = state.State with
        {
            ImportedInto = state.State.ImportedInto.Add(reservation.PartnerApplicationId, reservation.PartnerSessionId),
            Activity = state.State.Activity.Add(entry),
        };
        await state.WriteStateAsync();
        return new ExportResult(ExportStatus.Ready, source);
    }

    /// <summary>
    /// The source's own sharing audit names its other partners and its keys: a clone keeps the review
    /// history and decisions, not that.
    /// </summary>
    private static bool IsSharingAudit(ActivityEntry entry) =>
        entry.Action is ActivityActions.Shared or ActivityActions.ImportedByPartner;

    async Task<SessionState?> ISessionGrain.InitializeAsImport(ImportSeed seed)
    {
        if (state.RecordExists)
        {
            return Live ? state.State : null;
        }

        var source = seed.Source;
        state.State = source with
        {
            SessionId = this.GetPrimaryKey(),
            ApplicationId = seed.ApplicationId,
            SessionNumber = seed.SessionNumber,
            Status = seed.Status,
            WorkflowId = seed.WorkflowId,
            Features = seed.Features,
            VendorData = seed.VendorData,
            SharedFromSession = source.SessionId,
            CreatedAt = seed.ImportedEntry.CreatedAt,
            Activity = [.. source.Activity.Where(e => !IsSharingAudit(e)), seed.ImportedEntry],
            ImportedInto = ImmutableDictionary<Guid, Guid>.Empty,
            Deleted = false,
        };
        await state.WriteStateAsync();
        return state.State;
    }
}
