namespace OrleansShare.Grains.Sessions;

/// <summary>Asks a source session to record that a partner imports it as <see cref="PartnerSessionId"/>.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ImportReservation")]
public sealed record ImportReservation(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] Guid PartnerApplicationId,
    [property: Id(2)] Guid PartnerSessionId,
    [property: Id(3)] string TokenId,
    [property: Id(4)] string Actor);
