using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Hosting;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>
/// Liveness (the process answers) and readiness (the cluster and the database answer; a process that hosts a silo is
/// ready only while its own silo is an Active member). Readiness answers from <see cref="ReadinessProbe"/>, refreshed at
/// most once a second, not from a database round trip per call.
/// </summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health");
        group.MapGet("/startup", Started).WithName("Startup");
        group.MapGet("/live", () => TypedResults.Ok(new { status = "live" })).WithName("Live");
        group.MapGet("/ready", ReadyAsync).WithName("Ready");
        return app;
    }

    /// <summary>
    /// Started: the host has started (its silo joined the cluster before HTTP was served); a startup probe waits for this
    /// before liveness counts.
    /// </summary>
    private static IResult Started(IHostApplicationLifetime lifetime) => lifetime.ApplicationStarted.IsCancellationRequested
        ? TypedResults.Ok(new { status = "started" })
        : TypedResults.Problem(detail: "The gateway is starting.", statusCode: StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> ReadyAsync(ReadinessProbe probe, ApiKeyCache keys, LocalSilo local, CancellationToken cancellationToken)
    {
        var check = await probe.CurrentAsync().WaitAsync(cancellationToken);
        if (check.DatabaseUp && local.IsActive && check.Silos > 0)
        {
            return TypedResults.Ok(new
            {
                status = "ready",
                role = local.RoleName,
                silos = check.Silos,
                api_key_cache = keys.IsServing ? "subscribed" : "off",
                checked_at = check.CheckedAt,
            });
        }

        return TypedResults.Problem(
            detail: !check.DatabaseUp ? "The database does not answer."
                : !local.IsActive ? $"This process's silo is not an active member of the cluster (it is {local.Status})."
                : "No silo of the cluster answers.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Not ready");
    }
}
