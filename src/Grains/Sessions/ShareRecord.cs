namespace OrleansShare.Grains.Sessions;

/// <summary>The audit of a share token about to be handed out.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ShareRecord")]
public sealed record ShareRecord(
    [property: Id(0)] Guid ApplicationId,
    [property: Id(1)] string TokenId,
    [property: Id(2)] Guid ForApplicationId,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] Guid ApiKeyId,
    [property: Id(5)] string Actor);
