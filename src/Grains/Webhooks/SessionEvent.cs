namespace OrleansShare.Grains.Webhooks;

/// <summary>
/// An event a session write produced, stored in that same write (<c>SessionState.Events</c>): the storage trigger
/// copies it into the <c>webhook_event</c> outbox in the write's own transaction. <see cref="Sequence"/> orders the
/// events of one session; <see cref="EventId"/> is the <c>X-Webhook-Id</c> of every delivery of it.
/// The trigger reads <c>event_id</c>, <c>sequence</c>, <c>type</c>, <c>status</c> and <c>occurred_at</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("webhooks.SessionEvent")]
public sealed record SessionEvent(
    [property: Id(0)] Guid EventId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] string Type,
    [property: Id(3)] string Status,
    [property: Id(4)] DateTimeOffset OccurredAt);
