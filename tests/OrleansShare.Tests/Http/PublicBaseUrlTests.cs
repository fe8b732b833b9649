using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary><c>Gateway__PublicBaseUrl</c> is the base of every <c>session_url</c>, for created and imported sessions alike.</summary>
[Trait("Layer", "Http")]
public sealed class PublicBaseUrlTests
{
    [Fact]
    public async Task SessionUrlsUseTheConfiguredPublicBase()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["Gateway:PublicBaseUrl"] = "https://kyc.example.com/" });
        await app.InitializeAsync();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();

        var sessionId = await app.CreateVerifiedSessionAsync(source);
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);
        var clone = await app.ImportAsync(partner, token, partner.KycWorkflowId, trustReview: false);
        var decision = await app.GetDecisionAsync(source, sessionId);

        Assert.Equal($"https://kyc.example.com/session/{sessionId}", decision.Str("session_url"));
        Assert.Equal($"https://kyc.example.com/session/{clone.Id("session_id")}", clone.Str("session_url"));
        Assert.Equal(SessionKinds.User, clone.Str("session_kind"));
    }
}
