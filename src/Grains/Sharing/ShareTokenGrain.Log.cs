using Microsoft.Extensions.Logging;

namespace OrleansShare.Grains.Sharing;

public sealed partial class ShareTokenGrain
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug,
        Message = "Share token {TokenId} redeemed into session {SessionId} for application {ApplicationId}")]
    private static partial void LogRedeemed(ILogger logger, string tokenId, Guid sessionId, Guid applicationId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Share token {TokenId} was found half-redeemed; completing the redemption into session {SessionId}")]
    private static partial void LogCompletingRedemption(ILogger logger, string tokenId, Guid sessionId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning,
        Message = "Share token {TokenId}: another activation wrote first; re-reading its state")]
    private static partial void LogVersionConflict(ILogger logger, string tokenId);
}
