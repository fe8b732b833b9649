using System.Collections.Immutable;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>
/// Share governance (API.md): the tokens minted for a session, the share ledger of both directions, and the sharing
/// policy. The lists are read from the <c>share_ledger</c> table, which storage keeps in step with every share.
/// </summary>
internal static class GovernanceEndpoints
{
    private const int MaxVerificationAgeDays = 36_500;

    public static IEndpointRouteBuilder MapGovernance(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v3/session/{sessionId:uuid}/shares/", ListSessionSharesAsync).RequireAuthorization(Policies.ReadSessions)
            .WithTags("Share governance").WithName("ListSessionShares")
            .WithSummary("Every share token minted for the session, newest first, with its state");
        app.MapGet("/v3/share-ledger/", ListLedgerAsync).RequireAuthorization(Policies.ReadSessions)
            .WithTags("Share governance").WithName("ListShareLedger")
            .WithSummary("The shares this application minted and the imports it made, newest first");
        app.MapPut("/v3/sharing-policy/", SetPolicyAsync).RequireAuthorization(Policies.WriteSessions)
            .WithTags("Share governance").WithName("SetSharingPolicy");
        app.MapGet("/v3/sharing-policy/", GetPolicyAsync).RequireAuthorization(Policies.ReadSessions)
            .WithTags("Share governance").WithName("GetSharingPolicy");
        return app;
    }

    /// <summary>A bare array as Didit answers lists of a session, paged like the reviews (limit, offset, a Link header).</summary>
    private static async Task<IResult> ListSessionSharesAsync(
        Guid sessionId, HttpContext context, ShareLedgerQuery ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging(defaultLimit: QueryFields.MaxLimit);
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var page = await ledger.ListForSessionAsync(Caller.From(context.User).ApplicationId, sessionId, limit, offset, cancellationToken);
        if (page is null)
        {
            return SessionEndpoints.SessionNotFound(sessionId);
        }

        var now = time.GetUtcNow();
        var answer = Paging.Page(context.Request, page.Count, limit, offset, page.Results.Select(r => r.ToSessionShare(now)).ToList());
        Paging.AddLinkHeader(context.Response, answer);
        return TypedResults.Ok(answer.Results);
    }

    private static async Task<IResult> ListLedgerAsync(HttpContext context, ShareLedgerQuery ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging();
        var direction = query.String("direction") switch
        {
            null => LedgerDirection.Both,
            "outgoing" => LedgerDirection.Outgoing,
            "incoming" => LedgerDirection.Incoming,
            _ => Fail(query, "direction", "Must be outgoing or incoming (absent: both)."),
        };
        var partner = query.Uuid("partner_application_id");
        var purpose = query.String("purpose");
        if (purpose is not null && !ShareGovernance.IsPurpose(purpose))
        {
            query.Fail("purpose", $"Must be a lowercase word of 1 to {ShareGovernance.MaxPurposeLength} characters from a-z, 0-9, _ and -.");
        }

        var dateFrom = query.Date("date_from");
        var dateTo = query.Date("date_to");
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var filter = new LedgerListFilter(Caller.From(context.User).ApplicationId, direction, partner, purpose, dateFrom, dateTo, limit, offset);
        var page = await ledger.ListAsync(filter, cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(Paging.Page(context.Request, page.Count, limit, offset, page.Results.Select(r => r.ToLedgerEntry(now)).ToList()));
    }

    private static LedgerDirection Fail(QueryFields query, string name, string message)
    {
        query.Fail(name, message);
        return LedgerDirection.Both;
    }

    private static async Task<IResult> SetPolicyAsync(HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (policy, problem) = await RequestBody.ReadAsync(context.Request, ReadPolicy, cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).SetSharingPolicy(policy!) is { } stored
            ? TypedResults.Ok(stored.ToContract())
            : ApiProblems.Unauthorized("The application of this API key no longer exists.");
    }

    private static async Task<IResult> GetPolicyAsync(HttpContext context, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).GetSharingPolicy() is { } policy
            ? TypedResults.Ok(policy.ToContract())
            : ApiProblems.Unauthorized("The application of this API key no longer exists.");

    /// <summary>The whole policy; a field left out takes its default (API.md: any partner, nothing required, 86,400, no age limit).</summary>
    private static SharingPolicy ReadPolicy(BodyFields fields)
    {
        ImmutableArray<Guid>? allowed = null;
        if (fields.TryGet("allowed_partners", out var partners))
        {
            if (partners.ValueKind != JsonValueKind.Array || partners.GetArrayLength() > SharingPolicy.MaxAllowedPartners)
            {
                fields.Fail("allowed_partners", $"Must be a list of at most {SharingPolicy.MaxAllowedPartners} application ids, or null for any partner.");
            }
            else
            {
                var ids = ImmutableArray.CreateBuilder<Guid>();
                foreach (var item in partners.EnumerateArray())
                {
                    if (fields.Uuid("allowed_partners", item) is { } id && !ids.Contains(id))
                    {
                        ids.Add(id);
                    }
                }

                allowed = ids.ToImmutable();
            }
        }

        var maxTtl = fields.Integer("max_ttl_in_seconds");
        if (maxTtl is < SharingPolicy.MinTtlSeconds or > SharingPolicy.MaxTtlSeconds)
        {
            fields.Fail("max_ttl_in_seconds", $"Must be an integer from {SharingPolicy.MinTtlSeconds} to {SharingPolicy.MaxTtlSeconds}.");
        }

        var maxAge = fields.Integer("max_verification_age_days");
        if (maxAge is < 1 or > MaxVerificationAgeDays)
        {
            fields.Fail("max_verification_age_days", $"Must be an integer from 1 to {MaxVerificationAgeDays}, or null for no limit.");
        }

        return new SharingPolicy
        {
            AllowedPartners = allowed,
            RequireConsent = fields.Boolean("require_consent") ?? false,
            RequirePurpose = fields.Boolean("require_purpose") ?? false,
            MaxTtlInSeconds = (int)(maxTtl ?? SharingPolicy.MaxTtlSeconds),
            MaxVerificationAgeDays = (int?)maxAge,
        };
    }
}
