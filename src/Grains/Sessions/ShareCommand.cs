namespace OrleansShare.Grains.Sessions;

/// <summary>
/// A share as the gateway parsed it. <see cref="BodyValid"/> false: the body did not parse (the gateway holds the
/// problem); <see cref="TtlSeconds"/> null: the lifetime was not a valid one. The grain applies API.md's order.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ShareCommand")]
public sealed record ShareCommand(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] bool BodyValid,
    [property: Id(2)] Guid ForApplicationId,
    [property: Id(3)] long? TtlSeconds,
    [property: Id(4)] Guid ApiKeyId,
    [property: Id(5)] string Actor);
