using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Redeems a share token at most once. Three writes, each durable before the next: the source records
/// <c>imported_by_partner</c> with the plan → the clone is created under an id derived from the token id →
/// the token stores <c>redeemed</c>. Only the call whose <c>redeemed</c> write succeeds reports the import. A
/// redemption interrupted after the first write is completed from the plan the source keeps: by the next call for
/// the token, or by the silo's recovery sweep, which finds it through the <c>pending_redemption</c> row that the
/// source's write created and the token's write removes.
/// </summary>
[GrainType("share-token")]
[Orleans.Placement.PreferLocalPlacement]
public sealed partial class ShareTokenGrain(
    [PersistentState(StateNames.ShareToken, StorageNames.Grains)] IPersistentState<ShareTokenState> state,
    TimeProvider time,
    IRedemptionInterruptions interruptions,
    ILogger<ShareTokenGrain> logger) : Grain, IShareTokenGrain
{
    private string TokenKey => this.GetPrimaryKeyString();

    private string TokenId => ShareTokenKey.ToTokenId(TokenKey);

    /// <summary>The id of the session this token's redemption creates: derived from the token, the same on every attempt.</summary>
    private Guid CloneId => NameBasedGuid.Create(NameBasedGuid.ImportedSessions, TokenKey);

    private ISessionGrain Clone => GrainFactory.GetGrain<ISessionGrain>(CloneId);

    async Task<RedeemResult> IShareTokenGrain.Redeem(RedeemRequest request)
    {
        var importer = request.ImporterApplicationId;
        switch (state.State.Status)
        {
            case RedemptionStatus.Redeemed:
                return AlreadyRedeemedFor(importer);
            case RedemptionStatus.Redeeming:
                return await CompleteFor(importer, state.State.Plan! with { TokenKey = TokenKey });
        }

        var check = await GrainFactory.GetGrain<ISessionGrain>(request.SourceSessionId)
            .CheckImport(new ImportCheck(request.SourceApplicationId, request.Kind, importer, CloneId));
        switch (check.Status)
        {
            case ExportStatus.SourceMissing:
                // The source may have been deleted after this token's clone was made and before the redemption finished.
                return await CompleteFromCloneAsync() is { } completed
                    ? ForCaller(importer, completed)
                    : RedeemResult.Of(RedeemStatus.SourceMissing);
            case ExportStatus.AlreadyImported:
                return RedeemResult.AlreadyImportedAs(check.ExistingSessionId!.Value);
            case ExportStatus.Begun:
                // This token's redemption was begun (by an interrupted call, or by another activation of this token).
                LogCompletingRedemption(logger, TokenId, CloneId);
                return check.Plan is { } begun ? await CompleteFor(importer, begun) : await DecideFromStorage(importer);
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

        return await Complete(new ImportPlan
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
        });
    }

    async Task<RedemptionStatus> IShareTokenGrain.CompleteInterrupted(Guid sourceSessionId)
    {
        if (state.State.Status == RedemptionStatus.Redeemed)
        {
            return RedemptionStatus.Redeemed;
        }

        var plan = state.State.Status == RedemptionStatus.Redeeming
            ? state.State.Plan! with { TokenKey = TokenKey }
            : await GrainFactory.GetGrain<ISessionGrain>(sourceSessionId).FindExportPlan(TokenKey);
        if (plan is not null)
        {
            LogCompletingRedemption(logger, TokenId, plan.NewSessionId);
            await Complete(plan);
        }
        else if (await CompleteFromCloneAsync() is null)
        {
            // The source is gone and no clone was made: nothing was imported. Storing that clears the pending row.
            await state.WriteAsync(new ShareTokenState { Status = RedemptionStatus.Unredeemed, TokenKey = TokenKey }, this);
        }

        return state.State.Status;
    }

    Task<RedemptionStatus> IShareTokenGrain.GetStatus() => Task.FromResult(state.State.Status);

    /// <summary>"Already imported", naming the clone to the importer it was made for and to no one else.</summary>
    private RedeemResult AlreadyRedeemedFor(Guid callerApplicationId) =>
        state.State is { Status: RedemptionStatus.Redeemed, Plan: { } plan } && plan.ImporterApplicationId == callerApplicationId
            ? RedeemResult.AlreadyImportedAs(plan.NewSessionId)
            : RedeemResult.Of(RedeemStatus.AlreadyImported);

    /// <summary>Finishes a plan begun earlier; only the importer it names is ever answered with its clone.</summary>
    private async Task<RedeemResult> CompleteFor(Guid callerApplicationId, ImportPlan plan) =>
        ForCaller(callerApplicationId, await Complete(plan));

    private static RedeemResult ForCaller(Guid callerApplicationId, RedeemResult result) =>
        result.Session is { } clone && clone.ApplicationId != callerApplicationId ? RedeemResult.Of(RedeemStatus.AlreadyImported) : result;

    private async Task<RedeemResult> Complete(ImportPlan plan)
    {
        var export = await GrainFactory.GetGrain<ISessionGrain>(plan.SourceSessionId).ExportToPartner(plan);
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
        var clone = await Clone.InitializeAsImport(new ImportSeed(export.Source!, plan));
        interruptions.After(RedemptionStep.CloneCreated, TokenKey);
        return await MarkRedeemed(plan, clone);
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
        return await MarkRedeemed(plan, await Clone.Get(importer));
    }

    /// <summary>Stores <c>redeemed</c>; when another activation stored it first, answers from what that one stored.</summary>
    private async Task<RedeemResult> MarkRedeemed(ImportPlan plan, SessionView? clone)
    {
        try
        {
            await state.WriteAsync(
                new ShareTokenState { Status = RedemptionStatus.Redeemed, TokenKey = TokenKey, Plan = plan, RedeemedAt = time.UtcNowMilliseconds() },
                this);
        }
        catch (InconsistentStateException)
        {
            LogVersionConflict(logger, TokenId);
            return await DecideFromStorage(plan.ImporterApplicationId);
        }

        if (clone is null)
        {
            // The clone was created and deleted again before this call finished the redemption.
            return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }

        LogRedeemed(logger, TokenId, plan.NewSessionId, plan.ImporterApplicationId);
        return new RedeemResult(RedeemStatus.Imported, clone);
    }

    /// <summary>Another activation of this token wrote first: decide from what it stored.</summary>
    private async Task<RedeemResult> DecideFromStorage(Guid callerApplicationId)
    {
        await state.ReadStateAsync();
        return state.State is { Status: RedemptionStatus.Redeeming, Plan: { } theirs }
            ? await CompleteFor(callerApplicationId, theirs with { TokenKey = TokenKey })
            : AlreadyRedeemedFor(callerApplicationId);
    }
}
