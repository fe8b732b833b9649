using OrleansShare.Gateway.Auth;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Liveness (the process answers) and readiness (the cluster and the database answer).</summary>
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

    private static async Task<IResult> ReadyAsync(IGrainFactory grains, Database database, ApiKeyCache keys, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        var databaseUp = await database.PingAsync(timeout.Token);
        int silos;
        try
        {
            silos = (await grains.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken).WaitAsync(ReadyTimeout, cancellationToken)).Count;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or OrleansException)
        {
            silos = 0;
        }

        if (databaseUp && silos > 0)
        {
            return TypedResults.Ok(new { status = "ready", silos, api_key_cache = keys.IsServing ? "subscribed" : "off" });
        }

        return TypedResults.Problem(
            detail: !databaseUp ? "The database does not answer." : "No silo of the cluster answers.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Not ready");
    }
}
