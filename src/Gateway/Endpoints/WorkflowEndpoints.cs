using System.Collections.Immutable;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Workflows of the calling application.</summary>
internal static class WorkflowEndpoints
{
    public static RouteGroupBuilder MapWorkflows(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/workflows").WithTags("Workflows");
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.WriteSessions).WithName("CreateWorkflow");
        group.MapGet("/", ListAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListWorkflows");
        group.MapGet("/{workflowId:uuid}/", GetAsync).RequireAuthorization(Policies.ReadSessions).WithName("GetWorkflow");
        group.MapDelete("/{workflowId:uuid}/", DeleteAsync).RequireAuthorization(Policies.WriteSessions).WithName("DeleteWorkflow");
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (definition, problem) = await RequestBody.ReadAsync(
            context.Request,
            f => new WorkflowDefinition(f.String("workflow_label", required: true, maxLength: 200)!, ReadFeatures(f), f.Boolean("is_default") ?? false),
            cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.From(context.User);
        return await grains.Reference<IApplicationGrain>(caller.ApplicationId).CreateWorkflow(definition!) is { } workflow
            ? TypedResults.Created($"/v3/workflows/{workflow.WorkflowId}/", workflow.ToContract())
            : ApiProblems.Conflict($"An application has at most {WorkflowDefinition.MaxPerApplication} workflows, and yours has that many.");
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains)
    {
        var workflows = await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).ListWorkflows();
        return TypedResults.Ok(workflows.Select(w => w.ToContract()).ToList());
    }

    private static async Task<IResult> GetAsync(Guid workflowId, HttpContext context, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).GetWorkflow(workflowId) is { } workflow
            ? TypedResults.Ok(workflow.ToContract())
            : ApiProblems.NotFound($"Your application has no workflow {workflowId}.");

    private static async Task<IResult> DeleteAsync(Guid workflowId, HttpContext context, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).DeleteWorkflow(workflowId)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"Your application has no workflow {workflowId}.");

    private static ImmutableArray<WorkflowFeature> ReadFeatures(BodyFields fields)
    {
        const string Field = "features";
        var allowed = $"Features are objects {{\"feature\": ...}} or strings, one of: {string.Join(", ", Features.All.Order(StringComparer.Ordinal))}.";
        if (!fields.TryGet(Field, out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            fields.Fail(Field, "Must be a non-empty array. " + allowed);
            return [];
        }

        var features = ImmutableArray.CreateBuilder<WorkflowFeature>();
        foreach (var item in list.EnumerateArray())
        {
            var (name, config) = item.ValueKind switch
            {
                JsonValueKind.String => (item.GetString(), null),
                JsonValueKind.Object when item.TryGetProperty("feature", out var f) && f.ValueKind == JsonValueKind.String =>
                    (f.GetString(), item.TryGetProperty("config", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetRawText() : null),
                _ => ((string?)null, (string?)null),
            };

            if (name is null || !Features.IsKnown(name))
            {
                fields.Fail(Field, $"Unknown feature {(name is null ? item.GetRawText() : $"'{name}'")}. " + allowed);
                continue;
            }

            features.Add(new WorkflowFeature(name, config));
        }

        return features.ToImmutable();
    }
}
