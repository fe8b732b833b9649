using OrleansShare.Grains.Common;

namespace OrleansShare.Gateway.Tokens;

/// <summary>The verified claims of a share token, and the key of its redemption grain.</summary>
internal sealed record ShareTokenClaims(
    Guid SessionId,
    SessionKind SessionKind,
    Guid FromApplicationId,
    Guid ForApplicationId,
    DateTimeOffset ExpiresAt,
    string RedemptionKey);
