using System.Collections.Immutable;

namespace OrleansShare.Grains.Common;

/// <summary>One line of a session's review history and activity log.</summary>
[GenerateSerializer, Immutable, Alias("common.ActivityEntry")]
public sealed record ActivityEntry(
    [property: Id(0)] string Action,
    [property: Id(1)] string? User,
    [property: Id(2)] string? NewStatus,
    [property: Id(3)] string? Comment,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] ImmutableDictionary<string, string>? Details);
