using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>Everything a clone is made of: the source snapshot and what the importer decided.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ImportSeed")]
public sealed record ImportSeed(
    [property: Id(0)] SessionState Source,
    [property: Id(1)] Guid ApplicationId,
    [property: Id(2)] long SessionNumber,
    [property: Id(3)] Guid WorkflowId,
    [property: Id(4)] ImmutableArray<string> Features,
    [property: Id(5)] string? VendorData,
    [property: Id(6)] string Status,
    [property: Id(7)] ActivityEntry ImportedEntry);
