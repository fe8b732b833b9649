using System.Diagnostics;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Hosting;
using OrleansShare.Gateway.Problems;
using OrleansShare.Gateway.Tokens;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Hosting;
using Outcomes = OrleansShare.Gateway.Hosting.GatewayMetrics.Outcomes;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Reusable KYC/KYB: mint a one-time share token for a partner, revoke it, and redeem one.</summary>
internal static class SharingEndpoints
{
    private const int MinTtlSeconds = SharingPolicy.MinTtlSeconds;
    private const int MaxTtlSeconds = SharingPolicy.MaxTtlSeconds;
    private const int VendorDataMaxLength = 256;

    // API.md, Share: other clients' names for the same fields (the reusable-identity seed's, Didit's MCP server's).
    private static readonly string[] TargetSpellings = ["for_application_id", "audience", "partner_client_id"];
    private static readonly string[] TtlSpellings = ["ttl_in_seconds", "expires_in"];

    public static RouteGroupBuilder MapSharing(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/session").WithTags("Sharing").RequireAuthorization(Policies.WriteSessions);
        group.MapPost("/{sessionId:uuid}/share/", ShareAsync).WithName("ShareSession")
            .WithSummary("Mint a one-time share token of a finished session for one partner application");
        group.MapDelete("/{sessionId:uuid}/shares/{tokenId:uuid}/", RevokeShareAsync).WithName("RevokeShare")
            .WithSummary("Revoke a share token of the session before it is used: a later import is refused");
        group.MapPost("/import-shared/", ImportAsync).WithName("ImportSharedSession")
            .WithSummary("Redeem a share token: clone the shared session into the calling application");
        return group;
    }

    private static async Task<IResult> ShareAsync(
        Guid sessionId, HttpContext context, IGrainFactory grains, ShareTokenService tokens, TimeProvider time, GatewayMetrics metrics, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Activities.StartActivity("share");
        var (body, problem) = await RequestBody.ReadAsync(
            context.Request,
            f => (Target: f.Uuid("for_application_id", f.OneOf(TargetSpellings), required: true),
                Ttl: ReadTtl(f.OneOf(TtlSpellings)),
                Purpose: f.Purpose(),
                Scope: f.Scope(),
                Consent: f.Consent(time.GetUtcNow())),
            cancellationToken: cancellationToken);

        // The session applies API.md's order of checks (the session before the body); this endpoint maps its answer.
        var caller = Caller.From(context.User);
        var target = body.Target ?? Guid.Empty;
        var result = await grains.Reference<ISessionGrain>(sessionId).Share(new ShareCommand(
            caller.ApplicationId, BodyValid: problem is null, target, body.Ttl.Seconds, caller.ApiKeyId, caller.Actor,
            body.Ttl.Valid, body.Purpose, body.Scope, body.Consent));
        activity?.SetTag("orleansshare.share.status", result.Status.ToString());
        if (result.Status == ShareStatus.Recorded)
        {
            metrics.Shared(result.Kind.ToWire());
        }

        return result.Status switch
        {
            ShareStatus.Recorded => TypedResults.Created(
                (string?)null,
                new ShareResponse(
                    tokens.Mint(sessionId, result.Kind, caller.ApplicationId, target, result.IssuedAt, result.ExpiresAt, result.TokenId!, body.Purpose, body.Scope),
                    result.TokenId!, target, result.Kind.ToWire(), result.ExpiresAt, body.Purpose, body.Scope)),
            ShareStatus.NotFinished => NotFinished(result.Kind, result.SessionStatus),
            ShareStatus.BodyInvalid => problem!,
            ShareStatus.SelfShare => ApiProblems.Validation("for_application_id", "A session cannot be shared with its own application."),
            ShareStatus.PartnerMissing => ApiProblems.Validation("for_application_id", $"There is no live application {target}."),
            ShareStatus.TtlInvalid => ApiProblems.Validation("ttl_in_seconds", $"Must be an integer from {MinTtlSeconds} to {MaxTtlSeconds} seconds."),
            ShareStatus.ScopeInvalid => ApiProblems.Validation("scope", result.Reason!),
            ShareStatus.PolicyRefused => ApiProblems.Forbidden(
                $"{result.Reason} (sharing policy rule {result.Rule}; see GET /v3/sharing-policy/)", [new("rule", result.Rule!)]),
            ShareStatus.SessionFull => ApiProblems.SessionTooLarge(
                $"Session {sessionId} holds the most a session may ({SessionSize.MaxBytes / (1024 * 1024)} MiB of decisions, documents and activity): no further share can be recorded in its audit log."),
            _ => SessionEndpoints.SessionNotFound(sessionId),
        };
    }

    private static async Task<IResult> RevokeShareAsync(Guid sessionId, Guid tokenId, HttpContext context, IGrainFactory grains)
    {
        var status = await grains.Reference<ISessionGrain>(sessionId).RevokeShare(Caller.From(context.User).ApplicationId, tokenId.ToString());
        return status switch
        {
            RevokeShareStatus.Revoked => TypedResults.NoContent(),
            RevokeShareStatus.TokenNotFound => ApiProblems.NotFound($"Session {sessionId} minted no share token {tokenId}."),
            RevokeShareStatus.AlreadyRedeemed => ApiProblems.Conflict(
                $"Share token {tokenId} was already redeemed (or its import is under way), so it can no longer be revoked."),
            _ => SessionEndpoints.SessionNotFound(sessionId),
        };
    }

    /// <summary>
    /// The lifetime asked for (none when absent: the sharing policy's default applies), or not valid when it is not an
    /// integer in range (<c>null</c> is not).
    /// </summary>
    private static (long? Seconds, bool Valid) ReadTtl(JsonElement? given)
    {
        if (given is not { } value)
        {
            return (null, true);
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ttl) && ttl is >= MinTtlSeconds and <= MaxTtlSeconds
            ? (ttl, true)
            : (null, false);
    }

    private static async Task<IResult> ImportAsync(
        HttpContext context, IGrainFactory grains, ShareTokenService tokens, PublicUrls urls, GatewayMetrics metrics, CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        using var activity = Telemetry.Activities.StartActivity("import");
        var outcome = Outcomes.Failed;
        try
        {
            (var result, outcome) = await RedeemAsync(context, grains, tokens, urls, cancellationToken);
            return result;
        }
        finally
        {
            activity?.SetTag("orleansshare.import.outcome", outcome);
            metrics.Imported(outcome, startedAt);
        }
    }

    /// <summary>The import's answer and its outcome (the <c>outcome</c> label of <c>orleansshare_imports_total</c>).</summary>
    private static async Task<(IResult Result, string Outcome)> RedeemAsync(
        HttpContext context, IGrainFactory grains, ShareTokenService tokens, PublicUrls urls, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadAsync(
            context.Request,
            f => (Token: f.String("share_token", required: true, maxLength: 8192),
                TrustReview: f.Boolean("trust_review"),
                WorkflowId: f.Uuid("workflow_id"),
                VendorData: f.String("vendor_data", maxLength: VendorDataMaxLength)),
            cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return (problem, Outcomes.BadRequest);
        }

        var (token, trustReview, workflowId, vendorData) = body;
        var (claims, failure) = await tokens.ValidateAsync(token!);
        if (claims is null)
        {
            return (ApiProblems.Unauthorized(failure!), Outcomes.TokenInvalid);
        }

        var caller = Caller.From(context.User);
        if (claims.ForApplicationId != caller.ApplicationId)
        {
            return (ApiProblems.Forbidden("This share token was issued for another application."), Outcomes.WrongApplication);
        }

        var result = await grains.Reference<IShareTokenGrain>(claims.RedemptionKey).Redeem(new RedeemRequest(
            caller.ApplicationId, claims.FromApplicationId, claims.SessionId, claims.SessionKind, trustReview, workflowId, vendorData, caller.Actor,
            CallId: Guid.NewGuid(), claims.Purpose, claims.Scope, claims.ExpiresAt));
        var kind = claims.SessionKind.ToWire();
        return result.Status switch
        {
            RedeemStatus.Imported => (
                TypedResults.Created($"/v3/session/{result.Session!.SessionId}/decision/", result.Session.ToDocument(urls)), Outcomes.Imported),
            RedeemStatus.AlreadyImported => (AlreadyImported(result.ExistingSessionId), Outcomes.AlreadyImported),
            RedeemStatus.SourceMissing => (ApiProblems.NotFound("The shared session no longer exists."), Outcomes.SourceMissing),
            RedeemStatus.WorkflowNotFound => (ApiProblems.NotFound($"Your application has no workflow {workflowId}."), Outcomes.WorkflowMissing),
            RedeemStatus.NoDefaultWorkflow => (
                ApiProblems.Validation("workflow_id", $"Name a {kind} workflow: your application has no default {kind} workflow."), Outcomes.WorkflowMissing),
            RedeemStatus.WorkflowKindMismatch => (
                ApiProblems.Validation("workflow_id", $"The token shares a {kind} session; name a {kind} workflow."), Outcomes.BadRequest),
            RedeemStatus.ImporterMissing => (ApiProblems.Unauthorized("The application of this API key no longer exists."), Outcomes.WrongApplication),
            RedeemStatus.Revoked => (
                ApiProblems.Unauthorized("This share token was revoked by the application that shared it; ask it for a new one."), Outcomes.TokenRevoked),
            _ => throw new InvalidOperationException($"Unhandled redeem status {result.Status}."),
        };
    }

    /// <summary>403; names the caller's earlier import when known, so a client whose 201 was lost can read it.</summary>
    private static IResult AlreadyImported(Guid? existingSessionId) => existingSessionId is { } sessionId
        ? ApiProblems.Forbidden(
            $"This share token was already imported, or the shared session was already imported into your application, as session {sessionId}.",
            [new("session_id", sessionId)])
        : ApiProblems.Forbidden("This share token was already imported, or the shared session was already imported into your application.");

    private static IResult NotFinished(SessionKind kind, string? status) => ApiProblems.BadRequest(
        $"Only finished sessions can be shared{(status is null ? "" : $"; this one is '{status}'")}. Allowed statuses: {string.Join(", ", SessionStatuses.Finished(kind))}.");
}
