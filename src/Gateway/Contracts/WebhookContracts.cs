namespace OrleansShare.Gateway.Contracts;

/// <summary>A webhook destination as every call but create shows it: without its secret.</summary>
public sealed record WebhookDestinationResponse(
    Guid DestinationId, string Label, string Url, IReadOnlyList<string> SubscribedEvents, bool Enabled, string WebhookVersion,
    DateTimeOffset CreatedAt);

/// <summary>The answer to a create: the destination and its <c>secret_shared_key</c>, shown this once.</summary>
public sealed record WebhookDestinationCreatedResponse(
    Guid DestinationId, string Label, string Url, IReadOnlyList<string> SubscribedEvents, bool Enabled, string WebhookVersion,
    DateTimeOffset CreatedAt, string SecretSharedKey);

/// <summary>One line of a destination's delivery log; <c>next_retry_at</c> is null once it is delivered or failed.</summary>
public sealed record WebhookDeliveryResponse(
    Guid EventId, Guid SessionId, string WebhookType, string Status, string State, int Attempts, int? LastStatusCode,
    DateTimeOffset? NextRetryAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
