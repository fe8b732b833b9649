using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>Whether a source session can be imported by a token whose clone would be <see cref="CloneId"/>.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ImportCheck")]
public sealed record ImportCheck(
    [property: Id(0)] Guid SourceApplicationId,
    [property: Id(1)] SessionKind Kind,
    [property: Id(2)] Guid ImporterApplicationId,
    [property: Id(3)] Guid CloneId);
