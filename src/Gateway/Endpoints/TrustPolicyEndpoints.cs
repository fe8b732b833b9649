using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Per-partner default of <c>trust_review</c> for imports.</summary>
internal static class TrustPolicyEndpoints
{
    public static RouteGroupBuilder MapTrustPolicies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/trust-policies").WithTags("Trust policies");
        group.MapPut("/{sourceApplicationId:uuid}/", SetAsync).RequireAuthorization(Policies.WriteSessions).WithName("SetTrustPolicy");
        group.MapGet("/", ListAsync).RequireAuthorization(Policies.ReadSessions).WithName("ListTrustPolicies");
        return group;
    }

    private static async Task<IResult> SetAsync(Guid sourceApplicationId, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (trustReview, problem) = await RequestBody.ReadAsync(
            context.Request, f => f.Boolean("trust_review", required: true), cancellationToken: cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (await grains.GetGrain<IApplicationGrain>(sourceApplicationId).GetInfo() is null)
        {
            return ApiProblems.NotFound($"There is no application {sourceApplicationId}.");
        }

        var policy = await grains.GetGrain<IApplicationGrain>(Caller.From(context.User).ApplicationId).SetTrustPolicy(sourceApplicationId, trustReview!.Value);
        return TypedResults.Ok(policy.ToContract());
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains)
    {
        var policies = await grains.GetGrain<IApplicationGrain>(Caller.From(context.User).ApplicationId).ListTrustPolicies();
        return TypedResults.Ok(policies.Select(p => p.ToContract()).ToList());
    }
}
