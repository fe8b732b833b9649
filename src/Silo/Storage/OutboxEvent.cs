namespace OrleansShare.Silo.Storage;

/// <summary>A <c>webhook_event</c> row: an event recorded with its session's write, not yet fanned out.</summary>
public sealed record OutboxEvent(
    Guid EventId, Guid ApplicationId, Guid SessionId, long Sequence, string EventType, string Status, long OccurredAtMs);
