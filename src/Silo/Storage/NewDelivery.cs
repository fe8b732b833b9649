namespace OrleansShare.Silo.Storage;

/// <summary>A delivery of <see cref="Event"/> to be made: pending if <see cref="FirstAttempt"/> is null, else with that attempt's outcome.</summary>
public sealed record NewDelivery(OutboxEvent Event, Guid DestinationId, DeliveryAttempt? FirstAttempt = null);
