namespace OrleansShare.Gateway.Hosting;

internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Generated an operator key and printed it once to standard output (only its hash is kept in {DataDirectory}). Set Admin__ApiKey to choose your own.")]
    public static partial void AdminKeyGenerated(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "The cluster did not answer {Method} {Path}")]
    public static partial void ClusterUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Lost the API-key revocation subscription ({Reason}); authenticating every request through the cluster until it is back")]
    public static partial void RevocationSubscriptionLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Serving HTTP as {Role}")]
    public static partial void Started(ILogger logger, string role);
}
