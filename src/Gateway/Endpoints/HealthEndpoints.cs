using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Hosting;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>
/// Liveness (the process answers) and readiness (the cluster and the database answer; a process that hosts a silo is
/// ready only while its own silo is an Active member).
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new { status = "live" })).WithName("Live");
        group.MapGet("/ready", ReadyAsync).WithName("Ready");
        return app;
    }

    private static async Task<IResult> ReadyAsync(IGrainFactory grains, Database database, ApiKeyCache keys, LocalSilo local, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        var databaseUp = await database.PingAsync(timeout.Token);
        var silos = 0;
        if (local.IsActive)
        {
            try
            {
                silos = (await grains.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken).WaitAsync(ReadyTimeout, cancellationToken)).Count;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever stops the cluster answering (no silo, a timeout, the membership table unreadable): not ready.
                silos = 0;
            }
        }

        if (databaseUp && local.IsActive && silos > 0)
        {
            return TypedResults.Ok(new { status = "ready", role = local.RoleName, silos, api_key_cache = keys.IsServing ? "subscribed" : "off" });
        }

        return TypedResults.Problem(
            detail: !databaseUp ? "The database does not answer."
                : !local.IsActive ? $"This process's silo is not an active member of the cluster (it is {local.Status})."
                : "No silo of the cluster answers.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Not ready");
    }
}
