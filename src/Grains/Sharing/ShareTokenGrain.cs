using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Redeems a share token at most once, in one durable round trip: once the source has answered from memory (it holds
/// the importer for this token meanwhile), three writes leave together, so that group commit usually carries them in
/// one batch (not always: they can straddle two batches, or go through two silos' queues):
/// the source's <c>imported_by_partner</c> with the plan, the clone under the id derived from the source and the
/// importer (so storage holds one import of a session per application, whichever token made it), and the token's
/// <c>redeemed</c>. The call answers only once all three are durable, and only the call whose <c>redeemed</c> landed
/// reports the import. A redemption interrupted with some of the three written is completed from whichever holds the
/// plan: by the next call for the token, or by the silos' recovery sweep, which finds it through the
/// <c>redemption_part</c> rows that storage triggers insert as each of the three writes lands.
/// </summary>
[GrainType("share-token")]
[Orleans.Placement.PreferLocalPlacement]
public sealed partial class ShareTokenGrain(
    [FromKeyedServices(StorageNames.Grains)] IGrainStorage storage,
    TimeProvider time,
    IRedemptionInterruptions interruptions,
    ILogger<ShareTokenGrain> logger) : Grain, IShareTokenGrain
{
    private LazyPersistentState<ShareTokenState>? _state;

    /// <summary>
    /// The token's row, read when a call needs it rather than at activation: a token being redeemed for the first time
    /// has none, and its source says whether a redemption was begun before (then the row is read). The one write,
    /// <c>redeemed</c>, is an insert that a row already there refuses, so nothing is redeemed twice unread.
    /// </summary>
    private LazyPersistentState<ShareTokenState> Stored => _state ??= new(storage, StateNames.ShareToken, this.GetGrainId());

    private string TokenKey => this.GetPrimaryKeyString();

    private string TokenId => ShareTokenKey.ToTokenId(TokenKey);

    /// <summary>Whether this activation has seen this token's redemption complete: all three writes landed.</summary>
    private bool _completionConfirmed;

    private ISessionGrain Session(Guid sessionId) => GrainFactory.Reference<ISessionGrain>(sessionId);

    async Task<RedeemResult> IShareTokenGrain.Redeem(RedeemRequest request)
    {
        if (Stored.IsRead && await AnswerFromStoredAsync(request) is { } known)
        {
            return known;
        }

        var importer = request.ImporterApplicationId;
        var source = Session(request.SourceSessionId);
        var export = await source.BeginExport(new ExportRequest(request.SourceApplicationId, request.Kind, importer, TokenKey));
        switch (export.Status)
        {
            case ExportStatus.AlreadyImported:
                return RedeemResult.AlreadyImportedAs(export.ExistingSessionId!.Value);
            case ExportStatus.Begun or ExportStatus.SourceMissing or ExportStatus.Revoked:
                // This token's redemption was begun before, its source is gone, or its issuer revoked it: what the token
                // stored decides first (a redemption it stored before a revocation is finished, not refused).
                if (!Stored.IsRead)
                {
                    await Stored.ReadStateAsync();
                    if (await AnswerFromStoredAsync(request) is { } stored)
                    {
                        return stored;
                    }
                }

                if (export.Status == ExportStatus.Revoked)
                {
                    return RedeemResult.Of(RedeemStatus.Revoked);
                }

                if (export.Status == ExportStatus.Begun)
                {
                    LogCompletingRedemption(logger, TokenId, export.Plan!.NewSessionId);
                    return await AnswerFor(request, await Complete(export.Plan, export.Source!), export.Plan);
                }

                // The source may have been deleted after this token's clone was made and before the redemption finished.
                return await CompleteFromCloneAsync(request.SourceSessionId, importer) is { } completed
                    ? ForCaller(request, completed, null)
                    : RedeemResult.Of(RedeemStatus.SourceMissing);
        }

        var sourceView = export.Source!;
        var preparation = await GrainFactory.Reference<IApplicationGrain>(importer).PrepareImport(new ImportPreparationRequest(
            request.WorkflowId, request.Kind, request.SourceApplicationId, request.TrustReview,
            Freshness.DecidedAt(sourceView.Activity, sourceView.CreatedAt),
            request.Kind == SessionKind.User
                && Freshness.AnyDocumentExpired(sourceView.Sections.GetValueOrDefault(Sections.IdVerifications), DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime))));
        if (preparation.Workflow is not { } workflow)
        {
            await source.AbandonExport(importer, TokenKey);
            return RedeemResult.Of(preparation.Status switch
            {
                PreparationStatus.WorkflowNotFound => RedeemStatus.WorkflowNotFound,
                PreparationStatus.NoDefaultWorkflow => RedeemStatus.NoDefaultWorkflow,
                PreparationStatus.KindMismatch => RedeemStatus.WorkflowKindMismatch,
                _ => RedeemStatus.ImporterMissing,
            });
        }

        var plan = new ImportPlan
        {
            TokenKey = TokenKey,
            TokenId = TokenId,
            ImporterApplicationId = importer,
            SourceApplicationId = request.SourceApplicationId,
            SourceSessionId = request.SourceSessionId,
            Kind = request.Kind,
            NewSessionId = NameBasedGuid.ForImport(request.SourceSessionId, importer),
            SessionNumber = preparation.SessionNumber,
            WorkflowId = workflow.WorkflowId,
            Features = workflow.FeatureNames(),
            TrustReview = preparation.TrustReview,
            VendorData = request.VendorData,
            Actor = request.Actor,
            StartedAt = time.UtcNowMilliseconds(),
            CallId = request.CallId,
            Purpose = request.Purpose,
            Scope = request.Scope,
            ExpiresAt = request.ExpiresAt,
            Freshness = preparation.Freshness,
        };
        return await AnswerFor(request, await Complete(plan, sourceView), plan);
    }

    async Task<RedemptionStatus> IShareTokenGrain.CompleteInterrupted(Guid sourceSessionId, Guid? cloneSessionId)
    {
        await Stored.EnsureReadAsync();
        var plan = Stored.State.Plan ?? await Session(sourceSessionId).FindRedemptionPlan(TokenKey);
        if (plan is null && cloneSessionId is { } cloneId)
        {
            plan = await Session(cloneId).FindRedemptionPlan(TokenKey);
        }

        // No plan anywhere: the source went away before a clone was made, and nothing was imported. A plan without a
        // source is one finished from its clone alone.
        if (plan is { SourceSessionId: var sourceId } && sourceId != Guid.Empty)
        {
            await FinishAsync(plan with { TokenKey = TokenKey });
        }

        return Stored.State.Status;
    }

    async Task<RedemptionStatus> IShareTokenGrain.GetStatus()
    {
        await Stored.EnsureReadAsync();
        return Stored.State.Status;
    }

    /// <summary>The answer the token's stored state gives by itself: redeemed, or (a row of an earlier version) redeeming.</summary>
    private async Task<RedeemResult?> AnswerFromStoredAsync(RedeemRequest request)
    {
        switch (Stored.State.Status)
        {
            case RedemptionStatus.Redeemed:
                await EnsureCompleteAsync();
                return await AnswerRedeemed(request);
            case RedemptionStatus.Redeeming:
                var plan = Stored.State.Plan! with { TokenKey = TokenKey };
                return await AnswerFor(request, await FinishAsync(plan), plan);
            default:
                return null;
        }
    }

    /// <summary>
    /// A repeat of the call that began the redemption (same <see cref="RedeemRequest.CallId"/>; its answer was lost
    /// with a silo) gets that call's answer again: the clone. Any other call is told "already imported".
    /// </summary>
    private async Task<RedeemResult> AnswerRedeemed(RedeemRequest request)
    {
        if (Stored.State is { Status: RedemptionStatus.Redeemed, Plan: { CallId: { } callId } plan }
            && callId == request.CallId && plan.ImporterApplicationId == request.ImporterApplicationId
            && await Session(plan.NewSessionId).Get(plan.ImporterApplicationId) is { } clone)
        {
            return new RedeemResult(RedeemStatus.Imported, clone);
        }

        return AlreadyRedeemedFor(request.ImporterApplicationId);
    }

    /// <summary>"Already imported", naming the clone to the importer it was made for and to no one else.</summary>
    private RedeemResult AlreadyRedeemedFor(Guid callerApplicationId) =>
        Stored.State is { Status: RedemptionStatus.Redeemed, Plan: { } plan } && plan.ImporterApplicationId == callerApplicationId
            ? RedeemResult.AlreadyImportedAs(plan.NewSessionId)
            : RedeemResult.Of(RedeemStatus.AlreadyImported);

    /// <summary>
    /// The answer to <paramref name="request"/> once <paramref name="plan"/> was completed with <paramref name="result"/>
    /// (null: another activation stored <c>redeemed</c> first, and what it stored decides). Only the importer the plan
    /// names is ever answered with its clone, and only through the call that began it when that call is known: its
    /// repeat will ask, so one import is answered 201 once.
    /// </summary>
    private async Task<RedeemResult> AnswerFor(RedeemRequest request, RedeemResult? result, ImportPlan plan)
    {
        if (result is null)
        {
            return await AnswerRedeemed(request);
        }

        // The plan that was finished may be one stored earlier (by another call, or another activation).
        var finished = Stored.State is { Status: RedemptionStatus.Redeemed, Plan: { } stored } ? stored : plan;
        return ForCaller(request, result, finished.CallId);
    }

    private static RedeemResult ForCaller(RedeemRequest request, RedeemResult result, Guid? beganBy)
    {
        if (result.Session is not { } clone)
        {
            return result;
        }

        if (clone.ApplicationId != request.ImporterApplicationId)
        {
            return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }

        return beganBy is { } callId && callId != request.CallId ? RedeemResult.AlreadyImportedAs(clone.SessionId) : result;
    }

    /// <summary>
    /// Sends the source's record, the clone and the token's <c>redeemed</c> together, and answers once all three are
    /// durable; each is idempotent, so a plan begun earlier is finished by sending them again. Null when another
    /// activation stored <c>redeemed</c> first.
    /// </summary>
    private async Task<RedeemResult?> Complete(ImportPlan plan, SessionView source)
    {
        var recorded = Session(plan.SourceSessionId).RecordExport(plan);
        interruptions.After(RedemptionStep.SourceSent, TokenKey);
        var cloned = Session(plan.NewSessionId).InitializeAsImport(new ImportSeed(source, plan));
        interruptions.After(RedemptionStep.CloneSent, TokenKey);
        var redeemed = StoreRedeemedAsync(plan);
        await Task.WhenAll(recorded, cloned, redeemed);
        if (!redeemed.Result)
        {
            return null;
        }

        var clone = cloned.Result;
        switch (clone.Status)
        {
            case CloneStatus.Made:
                _completionConfirmed = true;
                LogRedeemed(logger, TokenId, plan.NewSessionId, plan.ImporterApplicationId);
                return new RedeemResult(RedeemStatus.Imported, clone.Session);
            case CloneStatus.MadeByAnotherToken:
                // Another token of the same source and importer made the one clone that application gets.
                return RedeemResult.AlreadyImportedAs(plan.NewSessionId);
            default:
                // The clone was created and deleted again before this call finished the redemption.
                return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }
    }

    /// <summary>
    /// Finishes a plan found stored (by the token, the source or the clone): asks its source again, then completes it,
    /// or finishes it from its clone when the source has gone since.
    /// </summary>
    private async Task<RedeemResult?> FinishAsync(ImportPlan plan)
    {
        LogCompletingRedemption(logger, TokenId, plan.NewSessionId);
        var export = await Session(plan.SourceSessionId)
            .BeginExport(new ExportRequest(plan.SourceApplicationId, plan.Kind, plan.ImporterApplicationId, TokenKey, Resuming: true));
        return export.Status switch
        {
            ExportStatus.Ready or ExportStatus.Begun => await Complete(export.Plan ?? plan, export.Source!),
            ExportStatus.SourceMissing => await CompleteFromCloneAsync(plan.SourceSessionId, plan.ImporterApplicationId)
                ?? RedeemResult.Of(RedeemStatus.SourceMissing),
            _ => RedeemResult.AlreadyImportedAs(export.ExistingSessionId!.Value),
        };
    }

    /// <summary>
    /// Stores <c>redeemed</c> with <paramref name="plan"/> unless the token holds it already. False when another
    /// activation stored it first (the state then holds what that one stored).
    /// </summary>
    private async Task<bool> StoreRedeemedAsync(ImportPlan plan)
    {
        if (Stored.State.Status == RedemptionStatus.Redeemed)
        {
            return true;
        }

        var redeemed = new ShareTokenState { Status = RedemptionStatus.Redeemed, Plan = plan, RedeemedAt = time.UtcNowMilliseconds() };
        try
        {
            await Stored.WriteAsync(redeemed, this);
            return true;
        }
        catch (InconsistentStateException)
        {
            LogVersionConflict(logger, TokenId);
            await Stored.ReadStateAsync();
            if (Stored.State.Status != RedemptionStatus.Redeeming)
            {
                return false;
            }

            // A row of an earlier version, left 'redeeming' by a crash: this redemption, of the same clone, finishes it.
            await Stored.WriteAsync(redeemed, this);
            return true;
        }
    }

    /// <summary>
    /// An activation that finds <c>redeemed</c> stored, and has not seen its redemption complete, makes sure the other
    /// two writes landed too (the three were sent together; a crash or a failed write can keep any of them): the
    /// source's record, asked from the source, and the clone. Whatever is missing is written from the stored plan.
    /// </summary>
    private async Task EnsureCompleteAsync()
    {
        if (!_completionConfirmed && Stored.State.Plan is { SourceSessionId: var sourceId } plan && sourceId != Guid.Empty)
        {
            var export = await Session(sourceId)
                .BeginExport(new ExportRequest(plan.SourceApplicationId, plan.Kind, plan.ImporterApplicationId, TokenKey, Resuming: true));
            var complete = export.Status == ExportStatus.Begun && await Session(plan.NewSessionId).GetOwner() is not null;
            if (!complete && export.Status is ExportStatus.Ready or ExportStatus.Begun)
            {
                LogCompletingRedemption(logger, TokenId, plan.NewSessionId);
                await Complete(export.Plan ?? plan with { TokenKey = TokenKey }, export.Source!);
            }
        }

        _completionConfirmed = true;
    }

    /// <summary>
    /// When this token made the clone of <paramref name="sourceSessionId"/> in <paramref name="importerApplicationId"/>
    /// (and its source has gone since), the redemption is finished from the clone; null when there is no such clone.
    /// </summary>
    private async Task<RedeemResult?> CompleteFromCloneAsync(Guid sourceSessionId, Guid importerApplicationId)
    {
        var plan = await Session(NameBasedGuid.ForImport(sourceSessionId, importerApplicationId)).FindRedemptionPlan(TokenKey);
        if (plan is null)
        {
            // Earlier versions derived the clone's id from the token and stored no plan with it.
            var earlierId = NameBasedGuid.Create(NameBasedGuid.ImportedSessions, TokenKey);
            if (await Session(earlierId).GetOwner() is not { } owner)
            {
                return null;
            }

            plan = new ImportPlan { TokenKey = TokenKey, TokenId = TokenId, ImporterApplicationId = owner, NewSessionId = earlierId };
        }

        var finished = new ImportPlan
        {
            TokenKey = TokenKey,
            TokenId = TokenId,
            ImporterApplicationId = plan.ImporterApplicationId,
            NewSessionId = plan.NewSessionId,
            CallId = plan.CallId,
        };
        if (!await StoreRedeemedAsync(finished))
        {
            return AlreadyRedeemedFor(plan.ImporterApplicationId);
        }

        var clone = await Session(plan.NewSessionId).Get(plan.ImporterApplicationId);
        return clone is null ? RedeemResult.Of(RedeemStatus.AlreadyImported) : new RedeemResult(RedeemStatus.Imported, clone);
    }
}
