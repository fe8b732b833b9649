using System.Text;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sessions;

/// <summary>
/// The cap on what one session holds, however many decisions and reviews are merged into it: the UTF-8 size of its
/// decision sections, documents, free-text fields and activity log. A change that would take a session past it is
/// refused (413) and changes nothing, so no session grows into a row too large to store or to send whole.
/// </summary>
public static class SessionSize
{
    public const long MaxBytes = 16L * 1024 * 1024;

    /// <summary>What an activity entry costs beyond its texts (names, times, status), counted generously.</summary>
    private const int EntryOverhead = 160;

    public static long Of(SessionState session)
    {
        long size = Bytes(session.VendorData) + Bytes(session.Metadata) + Bytes(session.ExpectedDetails)
            + Bytes(session.ContactDetails) + Bytes(session.Callback);
        foreach (var section in session.Sections)
        {
            size += Bytes(section.Key) + Bytes(section.Value);
        }

        foreach (var entry in session.Activity)
        {
            size += Of(entry);
        }

        return size;
    }

    /// <summary>What one activity entry adds to its session.</summary>
    public static long Of(ActivityEntry entry)
    {
        long size = EntryOverhead + Bytes(entry.User) + Bytes(entry.Comment);
        foreach (var detail in entry.Details ?? [])
        {
            size += Bytes(detail.Key) + Bytes(detail.Value);
        }

        return size;
    }

    private static long Bytes(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);
}
