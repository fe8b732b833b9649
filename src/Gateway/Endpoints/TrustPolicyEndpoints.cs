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
        var (document, problem) = await RequestBody.ReadObjectAsync(context.Request, cancellationToken: cancellationToken);
        if (document is null)
        {
            return problem!;
        }

        bool trustReview;
        using (document)
        {
            var fields = new BodyFields(document.RootElement);
            var value = fields.Boolean("trust_review");
            if (value is null && !fields.HasErrors)
            {
                fields.Fail("trust_review", "This field is required.");
            }

            if (fields.HasErrors)
            {
                return ApiProblems.Validation(fields.Errors);
            }

            trustReview = value!.Value;
        }

        if (await grains.GetGrain<IApplicationGrain>(sourceApplicationId).GetInfo() is null)
        {
            return ApiProblems.NotFound($"There is no application {sourceApplicationId}.");
        }

        var policy = await grains.GetGrain<IApplicationGrain>(Caller.From(context.User).ApplicationId).SetTrustPolicy(sourceApplicationId, trustReview);
        return TypedResults.Ok(policy.ToContract());
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains)
    {
        var policies = await grains.GetGrain<IApplicationGrain>(Caller.From(context.User).ApplicationId).ListTrustPolicies();
        return TypedResults.Ok(policies.Select(p => p.ToContract()).ToList());
    }
}
