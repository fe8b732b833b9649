using Microsoft.AspNetCore.Diagnostics;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// A silo that died or a request that timed out inside the cluster is an outage, not a bug: 503 with
/// Retry-After, so clients retry. Nothing was acknowledged, and every grain step is safe to repeat.
/// </summary>
internal sealed class ClusterUnavailableHandler(IProblemDetailsService problems, ILogger<ClusterUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
            or Orleans.Storage.InconsistentStateException or OrleansException))
        {
            return false;
        }

        GatewayLog.ClusterUnavailable(logger, exception, context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service Unavailable",
                Detail = "The service could not complete this request right now; nothing was changed that was not already complete. Retry shortly.",
            },
        });
    }
}
