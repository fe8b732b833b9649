using System.Collections.Immutable;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Applications;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>The operator API: applications and their API keys, behind <c>x-admin-key</c>.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/applications").WithTags("Operator").AddEndpointFilter<AdminKeyFilter>();
        group.MapPost("/", CreateApplicationAsync).WithName("CreateApplication").WithSummary("Create an application and its first API key");
        group.MapGet("/{applicationId:uuid}/", GetApplicationAsync).WithName("GetApplication");
        group.MapDelete("/{applicationId:uuid}/", DeleteApplicationAsync).WithName("DeleteApplication").WithSummary("Soft-delete an application; its keys stop working");
        group.MapPost("/{applicationId:uuid}/api-keys/", CreateApiKeyAsync).WithName("CreateApiKey");
        group.MapDelete("/{applicationId:uuid}/api-keys/{apiKeyId:uuid}/", RevokeApiKeyAsync).WithName("RevokeApiKey");
        return group;
    }

    private static async Task<IResult> CreateApplicationAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (document, problem) = await RequestBody.ReadObjectAsync(request, cancellationToken: cancellationToken);
        if (document is null)
        {
            return problem!;
        }

        using (document)
        {
            var fields = new BodyFields(document.RootElement);
            var name = fields.String("name", required: true, maxLength: 200);
            var organizationId = fields.Uuid("organization_id");
            if (fields.HasErrors)
            {
                return ApiProblems.Validation(fields.Errors);
            }

            var applicationId = Guid.NewGuid();
            var apiKey = ApiKeyGenerator.NewKey();
            var apiKeyId = Guid.NewGuid();
            var info = await grains.GetGrain<IApplicationGrain>(applicationId).Create(new CreateApplicationCommand(
                name!, organizationId, apiKeyId, ApiKeyHash.GrainKey(apiKey), [.. Privileges.All]));
            return TypedResults.Created(
                $"/admin/v1/applications/{applicationId}/",
                new ApplicationCreatedResponse(info.ApplicationId, info.Name, info.OrganizationId, apiKey, apiKeyId, info.CreatedAt));
        }
    }

    private static async Task<IResult> GetApplicationAsync(Guid applicationId, IGrainFactory grains) =>
        await grains.GetGrain<IApplicationGrain>(applicationId).GetInfo() is { } info
            ? TypedResults.Ok(info.ToContract())
            : ApiProblems.NotFound($"There is no application {applicationId}.");

    private static async Task<IResult> DeleteApplicationAsync(Guid applicationId, IGrainFactory grains) =>
        await grains.GetGrain<IApplicationGrain>(applicationId).Delete()
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"There is no application {applicationId}.");

    private static async Task<IResult> CreateApiKeyAsync(Guid applicationId, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (document, problem) = await RequestBody.ReadObjectAsync(request, cancellationToken: cancellationToken);
        if (document is null)
        {
            return problem!;
        }

        ImmutableArray<string> privileges;
        using (document)
        {
            var fields = new BodyFields(document.RootElement);
            if (!fields.TryGet("privileges", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                return ApiProblems.Validation("privileges", $"Must be a non-empty array of: {string.Join(", ", Privileges.All)}.");
            }

            var given = list.EnumerateArray().Select(p => p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString()! : "").ToList();
            if (given.Any(p => !Privileges.IsKnown(p)))
            {
                return ApiProblems.Validation("privileges", $"Unknown privilege; allowed: {string.Join(", ", Privileges.All)}.");
            }

            privileges = [.. given.Distinct(StringComparer.Ordinal)];
        }

        var apiKey = ApiKeyGenerator.NewKey();
        var apiKeyId = Guid.NewGuid();
        var created = await grains.GetGrain<IApplicationGrain>(applicationId).AddApiKey(apiKeyId, ApiKeyHash.GrainKey(apiKey), privileges);
        return created is null
            ? ApiProblems.NotFound($"There is no live application {applicationId}.")
            : TypedResults.Created($"/admin/v1/applications/{applicationId}/api-keys/{apiKeyId}/", new ApiKeyCreatedResponse(apiKeyId, apiKey, created.Privileges));
    }

    private static async Task<IResult> RevokeApiKeyAsync(Guid applicationId, Guid apiKeyId, IGrainFactory grains) =>
        await grains.GetGrain<IApplicationGrain>(applicationId).RevokeApiKey(apiKeyId)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"Application {applicationId} has no API key {apiKeyId}.");
}
