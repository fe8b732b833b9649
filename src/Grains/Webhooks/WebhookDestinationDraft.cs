using System.Collections.Immutable;

namespace OrleansShare.Grains.Webhooks;

/// <summary>
/// A validated create or patch of a destination: a null member is not given (a create then takes its default, a
/// patch keeps the current value).
/// </summary>
[GenerateSerializer, Immutable, Alias("webhooks.WebhookDestinationDraft")]
public sealed record WebhookDestinationDraft(
    [property: Id(0)] string? Label,
    [property: Id(1)] string? Url,
    [property: Id(2)] bool? Enabled,
    [property: Id(3)] string? WebhookVersion,
    [property: Id(4)] ImmutableArray<string>? SubscribedEvents);
