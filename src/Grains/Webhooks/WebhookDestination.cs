using System.Collections.Immutable;

namespace OrleansShare.Grains.Webhooks;

/// <summary>
/// A place an application's events are posted to. <see cref="Secret"/> is the <c>secret_shared_key</c> deliveries are
/// signed with: a signing key, so it is kept as it is (not hashed), shown once on create and never logged.
/// </summary>
[GenerateSerializer, Immutable, Alias("webhooks.WebhookDestination")]
public sealed record WebhookDestination(
    [property: Id(0)] Guid DestinationId,
    [property: Id(1)] string Label,
    [property: Id(2)] string Url,
    [property: Id(3)] bool Enabled,
    [property: Id(4)] string WebhookVersion,
    [property: Id(5)] ImmutableArray<string> SubscribedEvents,
    [property: Id(6)] string Secret,
    [property: Id(7)] DateTimeOffset CreatedAt)
{
    /// <summary>Destinations one application may have: its state, and the fan-out of each event, stay bounded.</summary>
    public const int MaxPerApplication = 20;

    public bool Receives(string eventType) => Enabled && SubscribedEvents.Contains(eventType);
}
