using System.Collections.Immutable;
using System.Text.Json;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;

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
        var (body, problem) = await RequestBody.ReadAsync(
            request, f => (Name: f.String("name", required: true, maxLength: 200), OrganizationId: f.Uuid("organization_id")),
            cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var applicationId = Guid.NewGuid();
        var apiKey = ApiKeyGenerator.NewKey();
        var apiKeyId = Guid.NewGuid();
        var info = await grains.Reference<IApplicationGrain>(applicationId).Create(new CreateApplicationCommand(
            body.Name!, body.OrganizationId, apiKeyId, ApiKeyHash.GrainKey(apiKey), [.. Privileges.All]));
        return TypedResults.Created(
            $"/admin/v1/applications/{applicationId}/",
            new ApplicationCreatedResponse(info.ApplicationId, info.Name, info.OrganizationId, apiKey, apiKeyId, info.CreatedAt));
    }

    private static async Task<IResult> GetApplicationAsync(Guid applicationId, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(applicationId).GetInfo() is { } info
            ? TypedResults.Ok(info.ToContract())
            : ApiProblems.NotFound($"There is no application {applicationId}.");

    private static async Task<IResult> DeleteApplicationAsync(Guid applicationId, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(applicationId).Delete()
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"There is no application {applicationId}.");

    private static async Task<IResult> CreateApiKeyAsync(Guid applicationId, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (privileges, problem) = await RequestBody.ReadAsync(request, ReadPrivileges, cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var apiKey = ApiKeyGenerator.NewKey();
        var apiKeyId = Guid.NewGuid();
        var created = await grains.Reference<IApplicationGrain>(applicationId).AddApiKey(apiKeyId, ApiKeyHash.GrainKey(apiKey), privileges);
        return created is null
            ? ApiProblems.NotFound($"There is no live application {applicationId}.")
            : TypedResults.Created($"/admin/v1/applications/{applicationId}/api-keys/{apiKeyId}/", new ApiKeyCreatedResponse(apiKeyId, apiKey, created.Privileges));
    }

    private static ImmutableArray<string> ReadPrivileges(BodyFields fields)
    {
        const string Field = "privileges";
        if (!fields.TryGet(Field, out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            fields.Fail(Field, $"Must be a non-empty array of: {string.Join(", ", Privileges.All)}.");
            return [];
        }

        var given = list.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString()! : "").ToList();
        if (given.Any(p => !Privileges.IsKnown(p)))
        {
            fields.Fail(Field, $"Unknown privilege; allowed: {string.Join(", ", Privileges.All)}.");
        }

        return [.. given.Distinct(StringComparer.Ordinal)];
    }

    private static async Task<IResult> RevokeApiKeyAsync(Guid applicationId, Guid apiKeyId, IGrainFactory grains) =>
        await grains.Reference<IApplicationGrain>(applicationId).RevokeApiKey(apiKeyId)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"Application {applicationId} has no API key {apiKeyId}.");
}
