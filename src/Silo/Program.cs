using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Silo;

/// <summary>A standalone silo of an OrleansShare cluster (<c>Cluster__Mode=AdoNet</c>, PostgreSQL).</summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.AddOrleansShareLogDefaults();
        var cluster = OrleansShareHosting.ReadClusterOptions(builder.Configuration);
        if (cluster.Mode != ClusterMode.AdoNet)
        {
            await Console.Error.WriteLineAsync(
                "A standalone silo runs in a cluster: set Cluster__Mode=AdoNet and ConnectionStrings__OrleansShare. " +
                "For a single process, run the gateway (dotnet run --project src/Gateway), which hosts its own silo.");
            Environment.ExitCode = 2;
            return;
        }

        var database = OrleansShareHosting.CreateDatabase(builder.Configuration, cluster);
        builder.Services.AddOrleansShareDatabase(database);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = OrleansShareHosting.ShutdownTimeout);
        if (Telemetry.OtlpConfigured(builder.Configuration))
        {
            // A dedicated silo serves no HTTP, so no /metrics: its meters and spans leave over OTLP, or not at all.
            builder.AddOrleansShareTelemetry("orleansshare-silo");
        }
        builder.UseOrleans(silo => silo.ConfigureOrleansShareSilo(builder.Configuration, cluster, database));

        using var host = builder.Build();
        await host.RunAsync();
    }
}
