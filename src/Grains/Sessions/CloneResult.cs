namespace OrleansShare.Grains.Sessions;

/// <summary>What a clone's id holds after <c>InitializeAsImport</c>.</summary>
[GenerateSerializer, Alias("sessions.CloneStatus")]
public enum CloneStatus
{
    /// <summary>The clone of this plan's token: made now, or by an earlier attempt of the same redemption.</summary>
    Made = 0,

    /// <summary>The clone of another token of the same source and importer: the one import that application has.</summary>
    MadeByAnotherToken = 1,

    /// <summary>The clone was made and deleted again.</summary>
    Deleted = 2,
}

[GenerateSerializer, Immutable, Alias("sessions.CloneResult")]
public sealed record CloneResult([property: Id(0)] CloneStatus Status, [property: Id(1)] SessionView? Session = null);
