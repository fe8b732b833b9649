namespace OrleansShare.Silo.Storage;

/// <summary>One line of a destination's delivery log; <see cref="NextAttemptAt"/> only while it is pending.</summary>
public sealed record DeliveryLogEntry(
    Guid EventId, Guid SessionId, string EventType, string Status, string State, int Attempts, int? LastStatusCode,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
