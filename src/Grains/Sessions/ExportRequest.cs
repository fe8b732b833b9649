using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>A share token asking its source session whether it can be imported into <see cref="ImporterApplicationId"/>.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ExportRequest")]
public sealed record ExportRequest(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] Guid ImporterApplicationId,
    [property: Id(3)] string TokenKey);
