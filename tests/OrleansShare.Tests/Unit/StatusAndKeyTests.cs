using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;

namespace OrleansShare.Tests.Unit;

public sealed class StatusAndKeyTests
{
    [Theory]
    [InlineData(SessionKind.User, "Approved", true)]
    [InlineData(SessionKind.User, "In Review", true)]
    [InlineData(SessionKind.User, "APPROVED", false)]
    [InlineData(SessionKind.User, "Not Started", false)]
    [InlineData(SessionKind.Business, "IN_REVIEW", true)]
    [InlineData(SessionKind.Business, "Declined", false)]
    [InlineData(SessionKind.Business, "KYC_EXPIRED", false)]
    public void FinishedStatusesKeepEachKindsSpelling(SessionKind kind, string status, bool finished)
    {
        Assert.Equal(finished, SessionStatuses.IsFinished(kind, status));
    }

    [Fact]
    public void BusinessStatusesAreTheUserWordsInUpperSnakeCase()
    {
        Assert.True(SessionStatuses.IsKnown(SessionKind.Business, "AWAITING_USER"));
        Assert.True(SessionStatuses.IsKnown(SessionKind.User, "Kyc Expired"));
        Assert.False(SessionStatuses.IsKnown(SessionKind.User, "KYC_EXPIRED"));
    }

    [Fact]
    public void CloneIdsAreDerivedFromTheTokenAndAreVersion5()
    {
        var first = NameBasedGuid.Create(NameBasedGuid.ImportedSessions, ShareTokenKey.FromJti("abc"));
        var again = NameBasedGuid.Create(NameBasedGuid.ImportedSessions, ShareTokenKey.FromJti("abc"));
        var other = NameBasedGuid.Create(NameBasedGuid.ImportedSessions, ShareTokenKey.FromJti("abd"));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal('5', first.ToString()[14]);
    }

    [Fact]
    public void KnownVersion5VectorMatchesRfc()
    {
        // RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), NameBasedGuid.Create(dns, "www.example.com"));
    }

    [Fact]
    public void TokensWithoutJtiAreKeyedByTheirHash()
    {
        var key = ShareTokenKey.FromTokenText("a.b.c");

        Assert.StartsWith("h", key, StringComparison.Ordinal);
        Assert.Equal(65, key.Length);
        Assert.StartsWith("sha256:", ShareTokenKey.ToTokenId(key), StringComparison.Ordinal);
        Assert.Equal("abc", ShareTokenKey.ToTokenId(ShareTokenKey.FromJti("abc")));
    }
}
