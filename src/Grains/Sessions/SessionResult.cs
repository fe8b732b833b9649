using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>Outcome of a change to a session: the session after it, or why it was refused.</summary>
[GenerateSerializer, Immutable, Alias("sessions.SessionResult")]
public sealed record SessionResult(
    [property: Id(0)] SessionResultStatus Status,
    [property: Id(1)] SessionView? Session,
    [property: Id(2)] ActivityEntry? Entry,
    [property: Id(3)] string? ErrorField,
    [property: Id(4)] string? ErrorMessage)
{
    public static readonly SessionResult NotFound = new(SessionResultStatus.NotFound, null, null, null, null);

    public static SessionResult Ok(SessionView session, ActivityEntry? entry = null) => new(SessionResultStatus.Ok, session, entry, null, null);

    public static SessionResult Invalid(string field, string message) => new(SessionResultStatus.Invalid, null, null, field, message);

    public static SessionResult TooLarge(long size) => new(SessionResultStatus.TooLarge, null, null, null,
        $"This change would make the session hold {size / (1024 * 1024)} MiB; a session holds at most {SessionSize.MaxBytes / (1024 * 1024)} MiB of decisions, documents and activity.");
}
