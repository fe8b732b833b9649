using System.Collections.Immutable;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// What one session write puts in the tables kept beside grain state, in the write's own transaction: its
/// <c>session_index</c> row (<see cref="Index"/>; null once the session is deleted, which removes the row), the
/// redemption parts it records, its share ledger change and its webhook events. The session storage trigger derives the
/// same rows from the stored JSON; PostgreSQL's group-commit writer sends them as statements of the write instead, which
/// spares the database parsing the whole session document on every write.
/// </summary>
public sealed record SessionRows(
    Guid SessionId,
    Guid ApplicationId,
    string SessionKind,
    SessionIndexEntry? Index,
    string? PendingRedemption,
    string? CompletedRedemption,
    Guid? SharedFromSession,
    LedgerChange? Ledger,
    ImmutableArray<SessionEvent> Events)
{
    /// <summary>The rows of <paramref name="state"/>'s write.</summary>
    public static SessionRows Of(SessionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new SessionRows(
            state.SessionId,
            state.ApplicationId,
            state.SessionKind.ToWire(),
            state.Deleted ? null : new SessionIndexEntry(
                state.SessionNumber, state.SessionKind.ToWire(), state.Status, state.VendorData, state.WorkflowId,
                UnixMilliseconds(state.CreatedAt)),
            state.PendingRedemption,
            state.CompletedRedemption,
            state.SharedFromSession,
            state.Ledger,
            state.Events);
    }

    /// <summary>Unix milliseconds, rounded as the trigger's <c>round(extract(epoch FROM t) * 1000)</c> rounds them.</summary>
    public static long UnixMilliseconds(DateTimeOffset at) =>
        (long)Math.Round((at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerMillisecond, MidpointRounding.AwayFromZero);
}

/// <summary>A session's <c>session_index</c> row (its service and session ids aside).</summary>
public sealed record SessionIndexEntry(
    long SessionNumber, string SessionKind, string Status, string? VendorData, Guid? WorkflowId, long CreatedAtMs);
