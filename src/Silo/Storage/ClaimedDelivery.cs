namespace OrleansShare.Silo.Storage;

/// <summary>A <c>webhook_delivery</c> row this silo holds the lease of; <see cref="Attempts"/> counts those made before.</summary>
public sealed record ClaimedDelivery(
    Guid EventId, Guid DestinationId, Guid ApplicationId, Guid SessionId, long Sequence, string EventType, string Status,
    long OccurredAtMs, int Attempts, long CreatedAtMs);
