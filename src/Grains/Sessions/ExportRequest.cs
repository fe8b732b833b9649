using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// A share token asking its source session whether it can be imported into <see cref="ImporterApplicationId"/>.
/// <see cref="Resuming"/>: the token finishes a redemption whose plan is stored already (in the token, the source or the
/// clone); it began before any revocation, so a revocation does not stop it.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.ExportRequest")]
public sealed record ExportRequest(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] Guid ImporterApplicationId,
    [property: Id(3)] string TokenKey,
    [property: Id(4)] bool Resuming = false);
