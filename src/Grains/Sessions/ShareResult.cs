using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// A recorded share (the token id and lifetime the gateway signs into the token), or why it was refused;
/// <see cref="SessionStatus"/> is the session's status when it is not a finished one.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ShareResult")]
public sealed record ShareResult(
    [property: Id(0)] ShareStatus Status,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] string? SessionStatus = null,
    [property: Id(3)] string? TokenId = null,
    [property: Id(4)] DateTimeOffset IssuedAt = default,
    [property: Id(5)] DateTimeOffset ExpiresAt = default,
    [property: Id(6)] string? Rule = null,
    [property: Id(7)] string? Reason = null);
