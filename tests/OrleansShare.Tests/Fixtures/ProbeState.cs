namespace OrleansShare.Tests.Fixtures;

/// <summary>A small grain state for storage-provider tests, stored as JSON like every grain state.</summary>
public sealed record ProbeState
{
    public string Name { get; init; } = "";

    public int Count { get; init; }

    /// <summary>Padding, to make a payload as large as a test needs.</summary>
    public string Filler { get; init; } = "";
}
