namespace OrleansShare.Grains.Sessions;

/// <summary>Everything a clone is made of: the source as it stood when the import was recorded, and the plan.</summary>
[GenerateSerializer, Immutable, Alias("sessions.ImportSeed")]
public sealed record ImportSeed(
    [property: Id(0)] SessionView Source,
    [property: Id(1)] ImportPlan Plan);
