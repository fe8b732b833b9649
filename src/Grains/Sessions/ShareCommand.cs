using System.Collections.Immutable;
using OrleansShare.Grains.Governance;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// A share as the gateway parsed it. <see cref="BodyValid"/> false: the body did not parse (the gateway holds the
/// problem); <see cref="TtlValid"/> false: the lifetime given was not a valid one; <see cref="TtlSeconds"/> null: none
/// was given (the sharing policy's default applies). <see cref="Scope"/> is validated here, against the session's kind.
/// The grain applies API.md's order.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ShareCommand")]
public sealed record ShareCommand(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] bool BodyValid,
    [property: Id(2)] Guid ForApplicationId,
    [property: Id(3)] long? TtlSeconds,
    [property: Id(4)] Guid ApiKeyId,
    [property: Id(5)] string Actor,
    [property: Id(6)] bool TtlValid = true,
    [property: Id(7)] string? Purpose = null,
    [property: Id(8)] ImmutableArray<string>? Scope = null,
    [property: Id(9)] ShareConsent? Consent = null);
