using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Entities;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// Redeems a share token at most once. The steps, each durable before the next:
/// <c>redeeming</c> (with the whole plan) → the source records <c>imported_by_partner</c> → the clone is created
/// under an id derived from the token id → <c>redeemed</c>. Only the call whose <c>redeemed</c> write succeeds
/// reports the import; a call that finds <c>redeeming</c> finishes the plan as it was begun.
/// </summary>
[GrainType("share-token")]
[Orleans.Placement.PreferLocalPlacement]
public sealed partial class ShareTokenGrain(
    [PersistentState(StateNames.ShareToken, StorageNames.Grains)] IPersistentState<ShareTokenState> state,
    TimeProvider time,
    ILogger<ShareTokenGrain> logger) : Grain, IShareTokenGrain
{
    private string TokenKey => this.GetPrimaryKeyString();

    private string TokenId => ShareTokenKey.ToTokenId(TokenKey);

    /// <summary>The id of the session this token's redemption creates: derived from the token, the same on every attempt.</summary>
    private Guid CloneId => NameBasedGuid.Create(NameBasedGuid.ImportedSessions, TokenKey);

    async Task<RedeemResult> IShareTokenGrain.Redeem(RedeemRequest request)
    {
        switch (state.State.Status)
        {
            case RedemptionStatus.Redeemed:
                return await AnswerRedeemed(request);
            case RedemptionStatus.Redeeming:
                LogCompletingRedemption(logger, TokenId, state.State.Plan!.NewSessionId);
                return await CompleteFor(request, state.State.Plan);
        }

        var source = await GrainFactory.GetGrain<ISessionGrain>(request.SourceSessionId).Get(request.SourceApplicationId);
        if (source is null || source.SessionKind != request.Kind)
        {
            return RedeemResult.Of(RedeemStatus.SourceMissing);
        }

        if (source.ImportedInto.TryGetValue(request.ImporterApplicationId, out var importedAs))
        {
            if (importedAs != CloneId)
            {
                return RedeemResult.AlreadyImportedAs(importedAs);
            }

            // The source records this token's own clone: another activation began the redemption after this one
            // read its state. Decide from what that activation stored, as after a lost write.
            await state.ReadStateAsync();
            return state.State is { Status: RedemptionStatus.Redeeming, Plan: { } begun }
                ? await CompleteFor(request, begun)
                : await AnswerRedeemed(request);
        }

        var preparation = await GrainFactory.GetGrain<IApplicationGrain>(request.ImporterApplicationId)
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

        var plan = new ImportPlan
        {
            ImporterApplicationId = request.ImporterApplicationId,
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
        };

        if (!await TryWrite(new ShareTokenState { Status = RedemptionStatus.Redeeming, Plan = plan }))
        {
            // Another activation of this token wrote first: decide again from what it stored.
            return state.State is { Status: RedemptionStatus.Redeeming, Plan: { } theirs }
                ? await CompleteFor(request, theirs)
                : await AnswerRedeemed(request);
        }

        return await Complete(plan);
    }

    /// <summary>
    /// A repeat of the call that began the redemption (same <see cref="RedeemRequest.CallId"/>; its answer was lost
    /// with a silo) gets that call's answer again: the clone. Any other call is told "already imported".
    /// </summary>
    private async Task<RedeemResult> AnswerRedeemed(RedeemRequest request)
    {
        if (state.State is { Status: RedemptionStatus.Redeemed, Plan: { CallId: { } callId } plan }
            && callId == request.CallId && plan.ImporterApplicationId == request.ImporterApplicationId
            && await GrainFactory.GetGrain<ISessionGrain>(plan.NewSessionId).Get(plan.ImporterApplicationId) is { } clone)
        {
            return new RedeemResult(RedeemStatus.Imported, clone);
        }

        return AlreadyRedeemedFor(request.ImporterApplicationId);
    }

    /// <summary>"Already imported", naming the clone to the importer it was made for and to no one else.</summary>
    private RedeemResult AlreadyRedeemedFor(Guid callerApplicationId) =>
        state.State is { Status: RedemptionStatus.Redeemed, Plan: { } plan } && plan.ImporterApplicationId == callerApplicationId
            ? RedeemResult.AlreadyImportedAs(plan.NewSessionId)
            : RedeemResult.Of(RedeemStatus.AlreadyImported);

    Task<RedemptionStatus> IShareTokenGrain.GetStatus() => Task.FromResult(state.State.Status);

    /// <summary>
    /// Finishes a plan begun earlier; only the importer it names is ever answered with its clone, and only through the
    /// call that began it when that call is known: its repeat will ask, so one import is answered 201 once.
    /// </summary>
    private async Task<RedeemResult> CompleteFor(RedeemRequest request, ImportPlan plan)
    {
        var result = await Complete(plan);
        if (plan.ImporterApplicationId != request.ImporterApplicationId)
        {
            return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }

        return result.Status == RedeemStatus.Imported && plan.CallId is { } callId && callId != request.CallId
            ? RedeemResult.AlreadyImportedAs(plan.NewSessionId)
            : result;
    }

    private async Task<RedeemResult> Complete(ImportPlan plan)
    {
        var cloneGrain = GrainFactory.GetGrain<ISessionGrain>(plan.NewSessionId);

        // After a crash that followed the clone's creation only the last steps remain, even if the source is gone by now.
        var clone = await cloneGrain.Get(plan.ImporterApplicationId);
        if (clone is null)
        {
            var (created, refused) = await CreateClone(plan, cloneGrain);
            if (refused is { } reason)
            {
                // Nothing was created: release the token so that its state says so.
                await TryWrite(new ShareTokenState());
                return RedeemResult.Of(reason);
            }

            clone = created;
        }

        if (clone is not null && plan.VendorData is { } vendorData)
        {
            await GrainFactory.GetGrain<IEntityGrain>(new EntityKey(plan.ImporterApplicationId, plan.Kind, vendorData).ToString())
                .AddSession(plan.NewSessionId);
        }

        if (!await TryWrite(state.State with { Status = RedemptionStatus.Redeemed, RedeemedAt = time.UtcNowMilliseconds() }))
        {
            // Another activation recorded the redemption and answered for it.
            return RedeemResult.AlreadyImportedAs(plan.NewSessionId);
        }

        if (clone is null)
        {
            // The clone was created and deleted again before this call finished the redemption.
            return RedeemResult.Of(RedeemStatus.AlreadyImported);
        }

        LogRedeemed(logger, TokenId, plan.NewSessionId, plan.ImporterApplicationId);
        return new RedeemResult(RedeemStatus.Imported, clone);
    }

    /// <summary>
    /// Has the source record the import, then creates the clone (null when its id was deleted). Refused, with
    /// nothing created, when the source is gone or was already imported into the importer's application.
    /// </summary>
    private async Task<(SessionState? Clone, RedeemStatus? Refused)> CreateClone(ImportPlan plan, ISessionGrain cloneGrain)
    {
        var export = await GrainFactory.GetGrain<ISessionGrain>(plan.SourceSessionId).ExportToPartner(
            new ImportReservation(plan.SourceApplicationId, plan.ImporterApplicationId, plan.NewSessionId, TokenId, plan.Actor));
        if (export.Source is not { } source)
        {
            return (null, export.Status == ExportStatus.AlreadyImported ? RedeemStatus.AlreadyImported : RedeemStatus.SourceMissing);
        }

        var status = plan.TrustReview ? source.Status : SessionStatuses.InReview(plan.Kind);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("source_application_id", plan.SourceApplicationId.ToString())
            .Add("source_session_id", plan.SourceSessionId.ToString())
            .Add("token_id", TokenId)
            .Add("trust_review", plan.TrustReview ? "true" : "false");
        var imported = new ActivityEntry(ActivityActions.Imported, plan.Actor, status, null, plan.StartedAt, details);
        var seed = new ImportSeed(source, plan.ImporterApplicationId, plan.SessionNumber, plan.WorkflowId, plan.Features, plan.VendorData, status, imported);

        return (await cloneGrain.InitializeAsImport(seed), null);
    }

    /// <summary>Writes <paramref name="next"/>; on a version conflict re-reads what the other writer stored and returns false.</summary>
    private async Task<bool> TryWrite(ShareTokenState next)
    {
        state.State = next;
        try
        {
            await state.WriteStateAsync();
            return true;
        }
        catch (InconsistentStateException)
        {
            LogVersionConflict(logger, TokenId);
            await state.ReadStateAsync();
            return false;
        }
        catch
        {
            // The write may or may not have landed: let the next call start from storage, not from this memory.
            DeactivateOnIdle();
            throw;
        }
    }
}
