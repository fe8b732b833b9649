namespace OrleansShare.Silo.Storage;

/// <summary>The outcome of one delivery attempt: the delivery's new state, what the destination answered, and when to try again.</summary>
public sealed record DeliveryAttempt(string State, int? StatusCode, string? Error, long NextAttemptAtMs, long AtMs);
