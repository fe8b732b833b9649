using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansShare.Silo.Hosting;

/// <summary>Says at start that no master key is configured, so sessions' personal data is stored in clear.</summary>
internal sealed partial class PlaintextStorageWarning(ILogger<PlaintextStorageWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogPlaintext(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning,
        Message = "No Storage__EncryptionKeys__<kid> is set: sessions' decision sections, metadata, expected_details and contact_details are stored in clear. Set one (openssl rand -base64 32) to encrypt them at rest.")]
    private static partial void LogPlaintext(ILogger logger);
}
