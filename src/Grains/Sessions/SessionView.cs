using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// A session as callers see it: what the decision document, the review list and a clone are made of. It is the
/// message of every session call; the stored <see cref="SessionState"/> (with the partners it was imported into)
/// never leaves its grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.SessionView")]
public sealed record SessionView
{
    [Id(0)] public Guid SessionId { get; init; }
    [Id(1)] public Guid ApplicationId { get; init; }
    [Id(2)] public long SessionNumber { get; init; }
    [Id(3)] public SessionKind SessionKind { get; init; }
    [Id(4)] public string Status { get; init; } = "";
    [Id(5)] public Guid? WorkflowId { get; init; }
    [Id(6)] public ImmutableArray<string> Features { get; init; } = [];
    [Id(7)] public string? VendorData { get; init; }
    [Id(8)] public string? Metadata { get; init; }
    [Id(9)] public string? ExpectedDetails { get; init; }
    [Id(10)] public string? ContactDetails { get; init; }
    [Id(11)] public string? Callback { get; init; }
    [Id(12)] public Guid? SharedFromSession { get; init; }
    [Id(13)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Section name to the JSON array text recorded for it; a section never recorded is absent.</summary>
    [Id(14)] public ImmutableDictionary<string, string> Sections { get; init; } = ImmutableDictionary<string, string>.Empty;

    [Id(15)] public ImmutableArray<ActivityEntry> Activity { get; init; } = [];
}
