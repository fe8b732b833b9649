using System.Collections.Immutable;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>The session lifecycle: create, record a decision, read, review, delete, list.</summary>
internal static class SessionEndpoints
{
    private const int VendorDataMaxLength = 256;

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/v3/session").WithTags("Sessions");
        session.MapPost("/", CreateAsync).RequireAuthorization(Policies.WriteSessions).WithName("CreateSession");
        session.MapPut("/{sessionId:uuid}/decision/", RecordDecisionAsync).RequireAuthorization(Policies.WriteSessions).WithName("RecordDecision")
            .WithSummary("Write a verified result into a session (capture pipeline or migration)");
        session.MapGet("/{sessionId:uuid}/decision/", GetDecisionAsync).RequireAuthorization(Policies.ReadSessions).WithName("GetDecision");
        session.MapPatch("/{sessionId:uuid}/update-status/", UpdateStatusAsync).RequireAuthorization(Policies.WriteSessions).WithName("UpdateStatus");
        session.MapDelete("/{sessionId:uuid}/delete/", DeleteAsync).RequireAuthorization(Policies.WriteSessions).WithName("DeleteSession");

        var sessions = app.MapGroup("/v3/sessions").WithTags("Sessions");
        sessions.MapGet("/", ListAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListSessions");
        sessions.MapGet("/{sessionId:uuid}/reviews/", ListReviewsAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListReviews");
        sessions.MapPost("/{sessionId:uuid}/reviews/", AddReviewAsync).RequireAuthorization(Policies.WriteSessions).WithName("AddReview");
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, PublicUrls urls, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadAsync(
            context.Request,
            f => (WorkflowId: f.Uuid("workflow_id"),
                VendorData: f.String("vendor_data", maxLength: VendorDataMaxLength),
                Callback: f.String("callback", maxLength: 2048),
                Language: f.String("language", maxLength: 16),
                Metadata: f.ObjectText("metadata"),
                ContactDetails: f.ObjectText("contact_details"),
                ExpectedDetails: f.ObjectText("expected_details")),
            cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.From(context.User);
        var sessionId = Guid.NewGuid();
        var created = await grains.Reference<ISessionGrain>(sessionId).Create(new CreateSessionCommand(
            caller.ApplicationId, body.WorkflowId, body.VendorData, body.Metadata, body.ExpectedDetails, body.ContactDetails,
            body.Callback, body.Language, caller.Actor));
        return created.Status switch
        {
            PreparationStatus.Ready => TypedResults.Created($"/v3/session/{sessionId}/decision/", created.Session!.ToCreatedContract(urls)),
            PreparationStatus.WorkflowNotFound => ApiProblems.NotFound($"Your application has no workflow {body.WorkflowId}."),
            PreparationStatus.NoDefaultWorkflow => ApiProblems.Validation("workflow_id", "Name a workflow: your application has no default user workflow."),
            _ => ApiProblems.Unauthorized("The application of this API key no longer exists."),
        };
    }

    private static async Task<IResult> RecordDecisionAsync(
        Guid sessionId, HttpContext context, IGrainFactory grains, PublicUrls urls, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        var (decision, problem) = await RequestBody.ReadAsync(
            context.Request, f => new DecisionCommand(f.String("status", required: true)!, ReadSections(f), caller.Actor),
            RequestBody.DecisionLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await grains.Reference<ISessionGrain>(sessionId).RecordDecision(caller.ApplicationId, decision!);
        return ToAnswer(result, sessionId, session => TypedResults.Ok(session.ToDocument(urls)));
    }

    private static async Task<IResult> GetDecisionAsync(Guid sessionId, HttpContext context, IGrainFactory grains, PublicUrls urls) =>
        await grains.Reference<ISessionGrain>(sessionId).Get(Caller.From(context.User).ApplicationId) is { } session
            ? TypedResults.Ok(session.ToDocument(urls))
            : SessionNotFound(sessionId);

    private static Task<IResult> UpdateStatusAsync(
        Guid sessionId, HttpContext context, IGrainFactory grains, PublicUrls urls, CancellationToken cancellationToken) =>
        ReviewAsync(sessionId, context, grains, ActivityActions.StatusUpdated, statusRequired: true,
            (session, _) => TypedResults.Ok(session.ToDocument(urls)), cancellationToken);

    private static Task<IResult> AddReviewAsync(Guid sessionId, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken) =>
        ReviewAsync(sessionId, context, grains, ActivityActions.Reviewed, statusRequired: false,
            (_, entry) => TypedResults.Created($"/v3/sessions/{sessionId}/reviews/", entry.ToContract()), cancellationToken);

    private static async Task<IResult> ReviewAsync(
        Guid sessionId, HttpContext context, IGrainFactory grains, string action, bool statusRequired,
        Func<SessionView, ActivityEntry, IResult> answer, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        var (review, problem) = await RequestBody.ReadAsync(
            context.Request,
            f =>
            {
                var newStatus = f.String("new_status", required: statusRequired);
                var comment = f.String("comment", maxLength: 4000);
                if (!f.HasErrors && newStatus is null && comment is null)
                {
                    f.Fail("comment", "Give a comment, a new_status, or both.");
                }

                return new ReviewCommand(action, newStatus, comment, caller.Actor);
            },
            cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await grains.Reference<ISessionGrain>(sessionId).Review(caller.ApplicationId, review!);
        return ToAnswer(result, sessionId, session => answer(session, result.Entry!));
    }

    private static async Task<IResult> DeleteAsync(Guid sessionId, HttpContext context, IGrainFactory grains) =>
        await grains.Reference<ISessionGrain>(sessionId).Delete(Caller.From(context.User).ApplicationId)
            ? TypedResults.NoContent()
            : SessionNotFound(sessionId);

    /// <summary>
    /// Didit's answer is a bare array, kept here; it holds at most <see cref="QueryFields.MaxLimit"/> entries, oldest
    /// first, from <c>offset</c>, and a <c>Link</c> header (RFC 8288) names the next and previous pages when there are more.
    /// </summary>
    private static async Task<IResult> ListReviewsAsync(Guid sessionId, HttpContext context, IGrainFactory grains)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging(defaultLimit: QueryFields.MaxLimit);
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        if (await grains.Reference<ISessionGrain>(sessionId).Get(Caller.From(context.User).ApplicationId) is not { } session)
        {
            return SessionNotFound(sessionId);
        }

        var page = Paging.Page(context.Request, session.Activity.Length, limit, offset, session.Activity.Skip(offset).Take(limit).Select(e => e.ToContract()).ToList());
        Paging.AddLinkHeader(context.Response, page);
        return TypedResults.Ok(page.Results);
    }

    private static async Task<IResult> ListAsync(HttpContext context, SessionIndexQuery index, PublicUrls urls, CancellationToken cancellationToken)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging();
        var kind = query.String("session_kind");
        if (kind is not (null or "all" or SessionKinds.User or SessionKinds.Business))
        {
            query.Fail("session_kind", "Must be user, business or all.");
        }

        var status = query.String("status");
        var vendorData = query.String("vendor_data");
        var workflowId = query.Uuid("workflow_id");
        var dateFrom = query.Date("date_from");
        var dateTo = query.Date("date_to");
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var filter = new SessionListFilter(
            Caller.From(context.User).ApplicationId, status, kind == "all" ? null : kind, vendorData, workflowId, dateFrom, dateTo, limit, offset);
        var page = await index.ListSessionsAsync(filter, cancellationToken);
        return TypedResults.Ok(Paging.Page(context.Request, page.Count, limit, offset, page.Results.Select(r => r.ToContract(urls)).ToList()));
    }

    private static ImmutableDictionary<string, string> ReadSections(BodyFields fields)
    {
        var sections = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var property in fields.Root.EnumerateObject())
        {
            ReadSection(fields, property, sections);
        }

        return sections.ToImmutable();
    }

    private static void ReadSection(BodyFields fields, JsonProperty property, ImmutableDictionary<string, string>.Builder sections)
    {
        if (property.NameEquals("status"))
        {
            return;
        }

        var known = Sections.IsAnySection(property.Name);
        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            if (known)
            {
                fields.Fail(property.Name, "A section must be an array of JSON objects.");
            }

            return;
        }

        if (!known)
        {
            fields.Fail(property.Name, $"Unknown section. User sections: {string.Join(", ", Sections.User)}; business sections: {string.Join(", ", Sections.Business)}.");
            return;
        }

        if (property.Value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.Object))
        {
            fields.Fail(property.Name, "Every item of a section must be a JSON object.");
            return;
        }

        sections[property.Name] = property.Value.GetRawText();
    }

    private static IResult ToAnswer(SessionResult result, Guid sessionId, Func<SessionView, IResult> ok) => result.Status switch
    {
        SessionResultStatus.Ok => ok(result.Session!),
        SessionResultStatus.NotFound => SessionNotFound(sessionId),
        SessionResultStatus.Invalid => ApiProblems.Validation(result.ErrorField!, result.ErrorMessage!),
        SessionResultStatus.TooLarge => ApiProblems.SessionTooLarge(result.ErrorMessage!),
        _ => throw new InvalidOperationException($"Unhandled session result {result.Status}."),
    };

    internal static IResult SessionNotFound(Guid sessionId) =>
        ApiProblems.NotFound($"Your application has no session {sessionId} (it may have been deleted).");
}
