using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Applies the schema scripts of <c>deploy/sql</c> when missing. Registered before Orleans, so the providers
/// find their query table and tables on a fresh, empty database.
/// </summary>
internal sealed class SchemaHostedService(Database database, ILogger<SchemaHostedService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => SchemaInstaller.ApplyAsync(database, logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
