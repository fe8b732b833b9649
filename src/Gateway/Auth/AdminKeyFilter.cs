using OrleansShare.Gateway.Problems;

namespace OrleansShare.Gateway.Auth;

/// <summary>Guards the operator API: a missing or wrong <c>x-admin-key</c> is 401.</summary>
internal sealed class AdminKeyFilter(AdminKeyVerifier verifier) : IEndpointFilter
{
    public const string Header = "x-admin-key";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = context.HttpContext.Request.Headers[Header].ToString();
        return verifier.IsValid(presented)
            ? next(context)
            : ValueTask.FromResult<object?>(ApiProblems.Unauthorized(string.IsNullOrEmpty(presented)
                ? "Send the operator key in the x-admin-key header."
                : "The x-admin-key header does not hold the operator key."));
    }
}
