using System.Collections.Immutable;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Webhooks;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Webhook destinations of the calling application and their delivery logs (API.md, Webhooks).</summary>
internal static class WebhookEndpoints
{
    private const int MaxLabelLength = 200;
    private const int MaxUrlLength = 2048;

    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/webhook/destinations").WithTags("Webhooks");
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.WriteSessions).WithName("CreateWebhookDestination");
        group.MapGet("/", ListAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListWebhookDestinations");
        group.MapGet("/{destinationId:uuid}/", GetAsync).RequireAuthorization(Policies.ReadSessions).WithName("GetWebhookDestination");
        group.MapPatch("/{destinationId:uuid}/", UpdateAsync).RequireAuthorization(Policies.WriteSessions).WithName("UpdateWebhookDestination");
        group.MapDelete("/{destinationId:uuid}/", DeleteAsync).RequireAuthorization(Policies.WriteSessions).WithName("DeleteWebhookDestination");
        group.MapGet("/{destinationId:uuid}/deliveries/", ListDeliveriesAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListWebhookDeliveries");
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, WebhookNetworkPolicy network, CancellationToken cancellationToken)
    {
        var (draft, problem) = await ReadDraftAsync(context, network, creating: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).CreateWebhookDestination(draft!) is { } destination
            ? TypedResults.Created($"/v3/webhook/destinations/{destination.DestinationId}/", destination.ToCreatedContract())
            : ApiProblems.Conflict($"An application has at most {WebhookDestination.MaxPerApplication} webhook destinations, and yours has that many; delete one first.");
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains)
    {
        var destinations = await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).ListWebhookDestinations();
        return TypedResults.Ok(destinations.Select(d => d.ToContract()).ToList());
    }

    private static async Task<IResult> GetAsync(Guid destinationId, HttpContext context, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).GetWebhookDestination(destinationId) is { } destination
            ? TypedResults.Ok(destination.ToContract())
            : NotFound(destinationId);

    private static async Task<IResult> UpdateAsync(
        Guid destinationId, HttpContext context, IGrainFactory grains, WebhookNetworkPolicy network, CancellationToken cancellationToken)
    {
        var (draft, problem) = await ReadDraftAsync(context, network, creating: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).UpdateWebhookDestination(destinationId, draft!) is { } destination
            ? TypedResults.Ok(destination.ToContract())
            : NotFound(destinationId);
    }

    private static async Task<IResult> DeleteAsync(Guid destinationId, HttpContext context, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).DeleteWebhookDestination(destinationId)
            ? TypedResults.NoContent()
            : NotFound(destinationId);

    /// <summary>The delivery log, newest first, paginated as session lists are; read from the outbox, not from a grain.</summary>
    private static async Task<IResult> ListDeliveriesAsync(
        Guid destinationId, HttpContext context, IGrainFactory grains, WebhookOutbox outbox, CancellationToken cancellationToken)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging();
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var applicationId = Caller.From(context.User).ApplicationId;
        if (await grains.Reference<IApplicationGrain>(applicationId).GetWebhookDestination(destinationId) is null)
        {
            return NotFound(destinationId);
        }

        var page = await outbox.ListDeliveriesAsync(applicationId, destinationId, limit, offset, cancellationToken);
        return TypedResults.Ok(Paging.Page(context.Request, page.Count, limit, offset, page.Results.Select(d => d.ToContract()).ToList()));
    }

    private static IResult NotFound(Guid destinationId) => ApiProblems.NotFound($"Your application has no webhook destination {destinationId}.");

    /// <summary>
    /// A create (the url required) or a patch body; then the url's addresses, checked against the network policy after
    /// the fields, so that a body with bad fields costs no DNS lookup.
    /// </summary>
    private static async Task<(WebhookDestinationDraft? Draft, IResult? Problem)> ReadDraftAsync(
        HttpContext context, WebhookNetworkPolicy network, bool creating, CancellationToken cancellationToken)
    {
        var (draft, problem) = await RequestBody.ReadAsync(context.Request, f => new WebhookDestinationDraft(
            f.String("label", maxLength: MaxLabelLength),
            f.String("url", required: creating, maxLength: MaxUrlLength),
            f.Boolean("enabled"),
            ReadVersion(f),
            ReadEvents(f)), cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (draft!.Url is { } url && await DestinationAddresses.RefusalAsync(url, network.AllowPrivateNetworks, cancellationToken) is { } refusal)
        {
            return (null, ApiProblems.Validation("url", refusal));
        }

        return (draft, null);
    }

    private static string? ReadVersion(BodyFields fields)
    {
        var version = fields.String("webhook_version");
        if (version is not null && !WebhookVersions.IsKnown(version))
        {
            fields.Fail("webhook_version", $"Must be one of: {string.Join(", ", WebhookVersions.All)}.");
            return null;
        }

        return version;
    }

    private static ImmutableArray<string>? ReadEvents(BodyFields fields)
    {
        const string Field = "subscribed_events";
        if (!fields.TryGet(Field, out var list))
        {
            return null;
        }

        var allowed = $"Must be a non-empty array of event names: {string.Join(", ", WebhookEvents.All)}.";
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            fields.Fail(Field, allowed);
            return null;
        }

        var events = ImmutableArray.CreateBuilder<string>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !WebhookEvents.IsKnown(item.GetString()!))
            {
                fields.Fail(Field, $"Unknown event {item.GetRawText()}. " + allowed);
                continue;
            }

            if (!events.Contains(item.GetString()!))
            {
                events.Add(item.GetString()!);
            }
        }

        return events.ToImmutable();
    }
}
