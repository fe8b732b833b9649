using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;

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

        var change = await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).SetTrustPolicy(sourceApplicationId, trustReview!.Value);
        return change switch
        {
            { Policy: { } policy } => TypedResults.Ok(policy.ToContract()),
            { Refusal: TrustPolicyRefusal.TooMany } => ApiProblems.Conflict(
                $"An application has at most {TrustPolicyInfo.MaxPerApplication} trust policies, and yours has that many; change an existing one."),
            _ => ApiProblems.NotFound($"There is no application {sourceApplicationId}."),
        };
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains)
    {
        var policies = await grains.Reference<IApplicationGrain>(Caller.From(context.User).ApplicationId).ListTrustPolicies();
        return TypedResults.Ok(policies.Select(p => p.ToContract()).ToList());
    }
}
