using System.Collections.Immutable;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// The whole session as stored; it never leaves <see cref="SessionGrain"/> (callers get a <see cref="SessionView"/>). Decision sections,
/// metadata and the other free-form objects stay the JSON text they arrived as, so they clone byte for byte.
/// The session index trigger reads <c>session_id</c>, <c>application_id</c>, <c>session_number</c>,
/// <c>session_kind</c>, <c>status</c>, <c>vendor_data</c>, <c>workflow_id</c>, <c>created_at</c> and
/// <c>deleted</c> from the stored JSON: renaming those properties breaks the index.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.SessionState")]
public sealed record SessionState
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
    [Id(12)] public string? Language { get; init; }
    [Id(13)] public Guid? SharedFromSession { get; init; }
    [Id(14)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Section name to the JSON array text recorded for it; a section never recorded is absent.</summary>
    [Id(15)] public ImmutableDictionary<string, string> Sections { get; init; } = ImmutableDictionary<string, string>.Empty;

    [Id(16)] public ImmutableArray<ActivityEntry> Activity { get; init; } = [];

    /// <summary>Partner application to the session it imported this one as; one import per partner.</summary>
    [Id(17)] public ImmutableDictionary<Guid, Guid> ImportedInto { get; init; } = ImmutableDictionary<Guid, Guid>.Empty;

    /// <summary>A deleted session keeps only this tombstone, so its id can never come back.</summary>
    [Id(18)] public bool Deleted { get; init; }

    /// <summary>Partner application to the plan of its import, kept so that an interrupted redemption can be completed.</summary>
    [Id(19)] public ImmutableDictionary<Guid, ImportPlan> ExportPlans { get; init; } = ImmutableDictionary<Guid, ImportPlan>.Empty;

    /// <summary>
    /// Set only by the write in which a source records an import: the token key of that redemption. The storage trigger
    /// records it as the <c>source</c> part in <c>redemption_part</c>; every other write resets it.
    /// </summary>
    [Id(20)] public string? PendingRedemption { get; init; }

    /// <summary>
    /// Set only by the write that creates a clone: the token key of its redemption, which the storage trigger records as
    /// the <c>clone</c> part in <c>redemption_part</c>; every other write resets it.
    /// </summary>
    [Id(21)] public string? CompletedRedemption { get; init; }

    /// <summary>On a clone: the plan it was made from (its token, source and importer), null on other sessions.</summary>
    [Id(22)] public ImportPlan? ImportedFrom { get; init; }

    /// <summary>
    /// Share tokens of this session its owner revoked before any import of theirs was recorded: token id (<c>jti</c>)
    /// to when. An import by a revoked token is refused; one begun before the revocation still completes (and is removed
    /// from here when recorded).
    /// </summary>
    [Id(23)] public ImmutableDictionary<string, DateTimeOffset> RevokedTokens { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;

    /// <summary>
    /// Set only by the write that mints, redeems or revokes one of this session's tokens: the storage trigger applies it
    /// to <c>share_ledger</c>; every other write resets it.
    /// </summary>
    [Id(24)] public LedgerChange? Ledger { get; init; }

    /// <summary>
    /// The events this write produced (a status change), and only this write: every other write resets it. The storage
    /// trigger copies them into the <c>webhook_event</c> outbox in the write's own transaction, so an acknowledged change
    /// always has its event, and a rewrite of the same payload adds nothing (the event id is the outbox key).
    /// </summary>
    [Id(25)] public ImmutableArray<SessionEvent> Events { get; init; } = [];

    /// <summary>The <see cref="SessionEvent.Sequence"/> of this session's latest event; 0 before the first.</summary>
    [Id(26)] public long EventSequence { get; init; }
}
