using Microsoft.Extensions.Logging;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Log levels both hosts start from, wherever they are started: per-request framework chatter (ASP.NET Core's
/// request and endpoint lines, <c>IHttpClientFactory</c>'s four lines per outbound request, Polly's placement retries)
/// is kept out of production logs. The webhook client has no logging handlers at all: its attempts are in the delivery
/// log and the <c>orleansshare_webhook_deliveries</c> counter. <c>Logging__LogLevel__*</c> still overrides any of these.
/// </summary>
public static class LoggingDefaults
{
    public static ILoggingBuilder AddOrleansShareLogDefaults(this ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging.AddFilter("Orleans", LogLevel.Warning);
        logging.AddFilter("OrleansShare", LogLevel.Information); // "Orleans" is a prefix of our own categories too.
        logging.AddFilter("Polly", LogLevel.Warning);
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        return logging;
    }
}
