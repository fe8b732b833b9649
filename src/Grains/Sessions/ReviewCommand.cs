namespace OrleansShare.Grains.Sessions;

/// <summary>A reviewer's status change (<c>update-status</c>) or note (a review, status optional).</summary>
[GenerateSerializer, Immutable, Alias("sessions.ReviewCommand")]
public sealed record ReviewCommand(
    [property: Id(0)] string Action,
    [property: Id(1)] string? NewStatus,
    [property: Id(2)] string? Comment,
    [property: Id(3)] string Actor);
