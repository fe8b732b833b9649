using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Immutable, Alias("sessions.ShareResult")]
public sealed record ShareResult(
    [property: Id(0)] ShareStatus Status,
    [property: Id(1)] SessionKind Kind);
