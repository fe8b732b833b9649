using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Webhooks;

namespace OrleansShare.Tests.Unit;

/// <summary>
/// The hosts' log defaults keep per-request framework lines out: <c>IHttpClientFactory</c> writes four Information lines
/// for every outbound request, so one per webhook attempt would otherwise reach the console, while our own lines and
/// every framework warning still do.
/// </summary>
public sealed class LoggingDefaultsTests
{
    [Fact]
    public void TheWebhookClientsRequestLinesAreLeftOutButItsWarningsAndOurOwnLinesAreKept()
    {
        var written = new ConcurrentQueue<(string Category, LogLevel Level)>();
        using (var factory = LoggerFactory.Create(logging => logging
                   .AddOrleansShareLogDefaults()
                   .SetMinimumLevel(LogLevel.Trace)
                   .AddProvider(new RecordingProvider(written))))
        {
            var client = $"System.Net.Http.HttpClient.{WebhookPoster.HttpClientName}";
            foreach (var handler in new[] { "LogicalHandler", "ClientHandler" })
            {
                var logger = factory.CreateLogger($"{client}.{handler}");
                logger.LogInformation("Start processing HTTP request POST http://127.0.0.1/hook/");
                logger.LogWarning("The request failed.");
            }

            factory.CreateLogger("OrleansShare.Silo.Webhooks.WebhookDispatcher").LogInformation("Ours.");
        }

        Assert.Equal(
            [
                ($"System.Net.Http.HttpClient.{WebhookPoster.HttpClientName}.LogicalHandler", LogLevel.Warning),
                ($"System.Net.Http.HttpClient.{WebhookPoster.HttpClientName}.ClientHandler", LogLevel.Warning),
                ("OrleansShare.Silo.Webhooks.WebhookDispatcher", LogLevel.Information),
            ],
            written.ToArray());
    }

    private sealed class RecordingProvider(ConcurrentQueue<(string Category, LogLevel Level)> written) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, written);

        public void Dispose()
        {
        }
    }

    private sealed class Recorder(string category, ConcurrentQueue<(string Category, LogLevel Level)> written) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            written.Enqueue((category, logLevel));
    }
}
