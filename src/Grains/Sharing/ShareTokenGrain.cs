using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Redeems a share token at most once. Three writes in two steps: the source records <c>imported_by_partner</c>
/// with the plan; once that is durable, the clone (under an id derived from the token id) and the token's
/// <c>redeemed</c> are written together, so that group commit sends them in one round trip. Only the call whose
/// <c>redeemed</c> write succeeds reports the import, and only after both writes are durable. A redemption
/// interrupted on the way is completed from the plan the source keeps (and the token, once <c>redeemed</c>): by the
/// next call for the token, or by the silos' recovery sweep, which finds it through the <c>pending_redemption</c>
/// row that the source's write created and the clone's write removes.
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

    /// <summary>The id of the session this token's redemption creates: derived from the token, the same on every attempt.</summary>
    private Guid CloneId => NameBasedGuid.Create(NameBasedGuid.ImportedSessions, TokenKey);

    private ISessionGrain Clone => GrainFactory.GetGrain<ISessionGrain>(CloneId);

    /// <summary>Whether this activation has seen this token's clone exist (or has nothing to check).</summary>
    private bool _cloneConfirmed;

    async Task<RedeemResult> IShareTokenGrain.Redeem(RedeemRequest request)
    {
        var importer = request.ImporterApplicationId;
        if (Stored.IsRead && await AnswerFromStoredAsync(request) is { } known)
        {
            return known;
        }

        var check = await GrainFactory.GetGrain<ISessionGrain>(request.SourceSessionId)
            .CheckImport(new ImportCheck(request.SourceApplicationId, request.Kind, importer, CloneId));
        if (check.Status is ExportStatus.Begun or ExportStatus.SourceMissing && !Stored.IsRead)
        {
            // A redemption of this token was begun before, or its source is gone: what the token stored decides first.
            await Stored.ReadStateAsync();
            if (await AnswerFromStoredAsync(request) is { } stored)
            {
                return stored;
            }
        }

        switch (check.Status)
        {
            case ExportStatus.SourceMissing:
                // The source may have been deleted after this token's clone was made and before the redemption finished.
                return await CompleteFromCloneAsync() is { } completed
                    ? ForCaller(request, completed, null)
                    : RedeemResult.Of(RedeemStatus.SourceMissing);
            case ExportStatus.AlreadyImported:
                return RedeemResult.AlreadyImportedAs(check.ExistingSessionId!.Value);
            case ExportStatus.Begun:
                // This token's redemption was begun (by an interrupted call, or by another activation of this token).
                LogCompletingRedemption(logger, TokenId, CloneId);
                return check.Plan is { } begun ? await CompleteFor(request, begun) : await DecideFromStorage(request);
        }

        var preparation = await GrainFactory.GetGrain<IApplicationGrain>(importer)
            .PrepareImport(new ImportPreparationRequest(request.WorkflowId, request.Kind, request.SourceApplicationId, request.TrustReview));
        if (preparation.Workflow is not { } workflow)
        {
            return RedeemResult.Of(preparation.Status switch
            {
                PreparationStatus.WorkflowNotFound => RedeemStatus.WorkflowNotFound,
                PreparationStatus.NoDefaultWorkflow => RedeemStatus.NoDefaultWorkflow,
                PreparationStatus.KindMismatch => RedeemStatus.WorkflowKindMismatch,
                _ => RedeemStatus.ImporterMissing,
            });
        }

        return await CompleteFor(request, new ImportPlan
        {
            TokenKey = TokenKey,
            TokenId = TokenId,
            ImporterApplicationId = importer,
            SourceApplicationId = request.SourceApplicationId,
            SourceSessionId = request.SourceSessionId,
            Kind = request.Kind,
            NewSessionId = CloneId,
            SessionNumber = preparation.SessionNumber,
            WorkflowId = workflow.WorkflowId,
            Features = workflow.FeatureNames(),
            TrustReview = preparation.TrustReview,
            VendorData = request.VendorData,
            Actor = request.Actor,
            StartedAt = time.UtcNowMilliseconds(),
            CallId = request.CallId,
        });
    }

    async Task<RedemptionStatus> IShareTokenGrain.CompleteInterrupted(Guid sourceSessionId)
    {
        await Stored.EnsureReadAsync();
        if (Stored.State.Status == RedemptionStatus.Redeemed)
        {
            await EnsureCloneAsync();
            return RedemptionStatus.Redeemed;
        }

        var plan = Stored.State.Status == RedemptionStatus.Redeeming
            ? Stored.State.Plan! with { TokenKey = TokenKey }
            : await GrainFactory.GetGrain<ISessionGrain>(sourceSessionId).FindExportPlan(TokenKey);
        if (plan is not null)
        {
            LogCompletingRedemption(logger, TokenId, plan.NewSessionId);
            await Complete(plan);
        }
        else
        {
            // The source is gone: finish from the clone if one was made; otherwise nothing was imported.
            await CompleteFromCloneAsync();
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
                await EnsureCloneAsync();
                return await AnswerRedeemed(request);
            case RedemptionStatus.Redeeming:
                return await CompleteFor(request, Stored.State.Plan! with { TokenKey = TokenKey });
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
            && await Clone.Get(plan.ImporterApplicationId) is { } clone)
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
    /// Finishes a plan begun earlier; only the importer it names is ever answered with its clone, and only through the
    /// call that began it when that call is known: its repeat will ask, so one import is answered 201 once.
    /// </summary>
    private async Task<RedeemResult> CompleteFor(RedeemRequest request, ImportPlan plan)
    {
        var result = await Complete(plan);
        if (result is { Status: RedeemStatus.AlreadyImported, Session: null } && Stored.State.Status == RedemptionStatus.Redeemed)
        {
            // Another activation stored redeemed first: the call that began the redemption still gets its clone.
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

    private async Task<RedeemResult> Complete(ImportPlan plan)
    {
        // The clone activates (reads its row) while the source records the import: the two share a round trip.
        var cloneActivated = Clone.GetOwner();
        var export = await GrainFactory.GetGrain<ISessionGrain>(plan.SourceSessionId).ExportToPartner(plan);
        await cloneActivated;
        switch (export.Status)
        {
            case ExportStatus.AlreadyImported:
                return RedeemResult.AlreadyImportedAs(export.ExistingSessionId!.Value);
            case ExportStatus.SourceMissing:
                return await CompleteFromCloneAsync() ?? RedeemResult.Of(RedeemStatus.SourceMissing);
        }

        // When the source had recorded this redemption before, its stored plan is the one to finish.
        plan = export.Plan ?? plan;
        interruptions.After(RedemptionStep.SourceRecorded, TokenKey);
        var clone = Clone.InitializeAsImport(new ImportSeed(export.Source!, plan));
        interruptions.After(RedemptionStep.CloneSent, TokenKey);
        return await MarkRedeemed(plan, clone);
    }

    /// <summary>
    /// A fresh activation that reads <c>redeemed</c> makes sure the clone exists: a crash can land the token's write
    /// and lose the clone's, which were sent together. Then the clone is made from the plan the token stored.
    /// </summary>
    private async Task EnsureCloneAsync()
    {
        if (_cloneConfirmed || Stored.State.Plan is not { SourceSessionId: var sourceId } plan || sourceId == Guid.Empty)
        {
            _cloneConfirmed = true;
            return;
        }

        if (await Clone.GetOwner() is null)
        {
            LogCompletingRedemption(logger, TokenId, plan.NewSessionId);
            var export = await GrainFactory.GetGrain<ISessionGrain>(sourceId).ExportToPartner(plan);
            if (export.Source is { } source)
            {
                await Clone.InitializeAsImport(new ImportSeed(source, export.Plan ?? plan));
            }
        }

        _cloneConfirmed = true;
    }

    /// <summary>
    /// When this token's clone exists (its source has gone since it was made), the redemption is finished from it;
    /// null when there is no clone.
    /// </summary>
    private async Task<RedeemResult?> CompleteFromCloneAsync()
    {
        if (await Clone.GetOwner() is not { } importer)
        {
            return null;
        }

        var plan = new ImportPlan { TokenKey = TokenKey, TokenId = TokenId, ImporterApplicationId = importer, NewSessionId = CloneId };
        return await MarkRedeemed(plan, Clone.Get(importer));
    }

    /// <summary>
    /// Stores <c>redeemed</c> while the clone's write is under way; answers only once both are durable. When another
    /// activation stored <c>redeemed</c> first, answers from what that one stored.
    /// </summary>
    private async Task<RedeemResult> MarkRedeemed(ImportPlan plan, Task<SessionView?> cloneWrite)
    {
        var redeemed = new ShareTokenState { Status = RedemptionStatus.Redeemed, Plan = plan, RedeemedAt = time.UtcNowMilliseconds() };
        var tokenWrite = Stored.WriteAsync(redeemed, this);
        SessionView? clone;
        try
        {
            await Task.WhenAll(cloneWrite, tokenWrite);
            clone = cloneWrite.Result;
            _cloneConfirmed = true;
        }
        catch (InconsistentStateException) when (tokenWrite.IsFaulted && cloneWrite.IsCompletedSuccessfully)
        {
            LogVersionConflict(logger, TokenId);
            await Stored.ReadStateAsync();
            if (Stored.State.Status != RedemptionStatus.Redeeming)
            {
                return AlreadyRedeemedFor(plan.ImporterApplicationId);
            }

            // A row of an earlier version, left 'redeeming' by a crash: this redemption, of the same clone, finishes it.
            await Stored.WriteAsync(redeemed, this);
            clone = cloneWrite.Result;
            _cloneConfirmed = true;
        }

        if (clone is null)
        {
            // The clone was created and deleted again before this call finished the redemption.
            return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }

        LogRedeemed(logger, TokenId, plan.NewSessionId, plan.ImporterApplicationId);
        return new RedeemResult(RedeemStatus.Imported, clone);
    }

    /// <summary>Another activation of this token may have written: decide from what storage holds.</summary>
    private async Task<RedeemResult> DecideFromStorage(RedeemRequest request)
    {
        await Stored.ReadStateAsync();
        return Stored.State is { Status: RedemptionStatus.Redeeming, Plan: { } theirs }
            ? await CompleteFor(request, theirs with { TokenKey = TokenKey })
            : await AnswerRedeemed(request);
    }
}
