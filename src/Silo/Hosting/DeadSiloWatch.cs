using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Tells a cluster client (a gateway that is not a silo) when the cluster declares a silo dead, by reading the
/// membership table every <see cref="GatewayOptions.GatewayListRefreshPeriod"/>.
/// </summary>
/// <remarks>
/// A silo breaks its own calls to a silo the moment membership declares it dead (Orleans' <c>SiloConnectionMaintainer</c>
/// completes them with <see cref="SiloUnavailableException"/>). An external client gets no such help in Orleans 10.4:
/// it does not follow membership, and a request that a gateway forwarded to a silo that then died, or that went through
/// a gateway that died, waits for the full <c>ResponseTimeout</c> (dotnet/orleans#10165). This watch is the client's
/// view of membership that the gateway's call filter uses to stop waiting. Only <c>Dead</c> counts: a
/// silo shutting down still answers what it accepted.
/// </remarks>
public sealed partial class DeadSiloWatch(
    Database database, IOptions<ClusterOptions> cluster, IOptions<GatewayOptions> gateway, ILogger<DeadSiloWatch> logger) : BackgroundService, ISiloDeathSignal
{
    /// <summary>The status Orleans writes for a dead silo (<c>SiloStatus.Dead</c>).</summary>
    private const int DeadStatus = 6;

    private TaskCompletionSource<string> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc/>
    public Task<string> NextDeclaration => Volatile.Read(ref _next).Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HashSet<string>? known = null;
        var failing = false;
        using var timer = new PeriodicTimer(gateway.Value.GatewayListRefreshPeriod);
        do
        {
            try
            {
                var dead = await ReadDeadSilosAsync(stoppingToken);
                if (known is not null && dead.Except(known).ToList() is { Count: > 0 } declared)
                {
                    var silos = string.Join(", ", declared);
                    LogDeclaredDead(logger, silos);
                    Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(silos);
                }

                known = dead;
                failing = false;
            }
            catch (DbException ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The next read may succeed; until then this gateway falls back on the response timeout.
                if (!failing)
                {
                    LogReadFailed(logger, ex);
                }

                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<HashSet<string>> ReadDeadSilosAsync(CancellationToken cancellationToken)
    {
        var dataSource = database.DataSource ?? throw new InvalidOperationException("The dead-silo watch reads the PostgreSQL membership table.");
        await using var command = dataSource.CreateCommand(
            "SELECT address, port, generation FROM orleansmembershiptable WHERE deploymentid = $1 AND status = $2");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = cluster.Value.ClusterId });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = DeadStatus });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var dead = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            dead.Add($"{reader.GetString(0)}:{reader.GetInt32(1)}@{reader.GetInt32(2)}");
        }

        return dead;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The cluster declared silo {Silos} dead: calls waiting on it stop waiting")]
    private static partial void LogDeclaredDead(ILogger logger, string silos);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Cannot read the membership table for dead silos; calls to a dead silo wait for the response timeout until it can")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}

/// <summary>What a cluster client knows of silo deaths.</summary>
public interface ISiloDeathSignal
{
    /// <summary>Completes, with the silos' addresses, when the cluster next declares one or more silos dead.</summary>
    Task<string> NextDeclaration { get; }
}

public static class DeadSiloWatchExtensions
{
    /// <summary>Registers the <see cref="DeadSiloWatch"/> of a cluster client on PostgreSQL.</summary>
    public static IServiceCollection AddDeadSiloWatch(this IServiceCollection services)
    {
        services.AddSingleton<DeadSiloWatch>();
        services.AddSingleton<ISiloDeathSignal>(sp => sp.GetRequiredService<DeadSiloWatch>());
        services.AddHostedService(sp => sp.GetRequiredService<DeadSiloWatch>());
        return services;
    }
}
