using System.Collections.Immutable;

namespace OrleansShare.Grains.Sessions;

/// <summary>A verification result written in: a finished status and the sections, each a JSON array text.</summary>
[GenerateSerializer, Immutable, Alias("sessions.DecisionCommand")]
public sealed record DecisionCommand(
    [property: Id(0)] string Status,
    [property: Id(1)] ImmutableDictionary<string, string> Sections,
    [property: Id(2)] string Actor);
