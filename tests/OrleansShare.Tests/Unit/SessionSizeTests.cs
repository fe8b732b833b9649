using System.Collections.Immutable;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Tests.Unit;

/// <summary>What counts against a session's 16 MiB: UTF-8 bytes of its sections, documents, texts and activity.</summary>
[Trait("Layer", "Unit")]
public sealed class SessionSizeTests
{
    [Fact]
    public void SectionsDocumentsAndActivityCountInUtf8Bytes()
    {
        var empty = new SessionState();
        var session = empty with
        {
            VendorData = "é",
            Metadata = """{"a":1}""",
            Sections = ImmutableDictionary<string, string>.Empty.Add("id_verifications", "[\"€\"]"),
            Activity = [new ActivityEntry("shared", "ü", null, "😀", DateTimeOffset.UnixEpoch, ImmutableDictionary<string, string>.Empty.Add("k", "v"))],
        };

        // é 2 bytes; metadata 7; "id_verifications" 16 + ["€"] 7; the entry: its overhead, ü 2, 😀 4, k 1, v 1.
        var entryOverhead = SessionSize.Of(empty with { Activity = [new ActivityEntry("x", null, null, null, DateTimeOffset.UnixEpoch, null)] });
        Assert.Equal(0, SessionSize.Of(empty));
        Assert.Equal(2 + 7 + 16 + 7 + entryOverhead + 2 + 4 + 1 + 1, SessionSize.Of(session));
    }
}
