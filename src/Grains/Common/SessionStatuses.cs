using System.Collections.Frozen;

namespace OrleansShare.Grains.Common;

/// <summary>
/// The status vocabulary of each session kind. KYC uses title case with spaces, KYB the same words in
/// UPPER_SNAKE_CASE; a status string is never transformed from one kind's spelling to the other's.
/// </summary>
public static class SessionStatuses
{
    private static readonly string[] UserStatuses =
    [
        "Not Started", "In Progress", "Approved", "Declined", "In Review",
        "Expired", "Abandoned", "Kyc Expired", "Resubmitted", "Awaiting User",
    ];

    private static readonly string[] BusinessStatuses = [.. UserStatuses.Select(ToUpperSnake)];

    private static readonly FrozenSet<string> UserSet = UserStatuses.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> BusinessSet = BusinessStatuses.ToFrozenSet(StringComparer.Ordinal);

    private static readonly string[] UserFinished = ["Approved", "Declined", "In Review"];
    private static readonly string[] BusinessFinished = ["APPROVED", "DECLINED", "IN_REVIEW"];
    private static readonly string[] UserUpdatable = ["Approved", "Declined", "Resubmitted"];
    private static readonly string[] BusinessUpdatable = ["APPROVED", "DECLINED", "RESUBMITTED"];

    public static string NotStarted(SessionKind kind) => kind == SessionKind.Business ? "NOT_STARTED" : "Not Started";

    public static string InReview(SessionKind kind) => kind == SessionKind.Business ? "IN_REVIEW" : "In Review";

    public static IReadOnlyList<string> Finished(SessionKind kind) => kind == SessionKind.Business ? BusinessFinished : UserFinished;

    /// <summary>Every status of the kind: what a review may record (a capture pipeline moves a session through them this way).</summary>
    public static IReadOnlyList<string> All(SessionKind kind) => kind == SessionKind.Business ? BusinessStatuses : UserStatuses;

    /// <summary>The statuses <c>update-status</c> sets: Didit's three.</summary>
    public static IReadOnlyList<string> Updatable(SessionKind kind) => kind == SessionKind.Business ? BusinessUpdatable : UserUpdatable;

    public static bool IsKnown(SessionKind kind, string status) => (kind == SessionKind.Business ? BusinessSet : UserSet).Contains(status);

    public static bool IsFinished(SessionKind kind, string status) => Finished(kind).Contains(status, StringComparer.Ordinal);

    public static bool IsUpdatable(SessionKind kind, string status) => Updatable(kind).Contains(status, StringComparer.Ordinal);

    private static string ToUpperSnake(string status) => status.Replace(' ', '_').ToUpperInvariant();
}
