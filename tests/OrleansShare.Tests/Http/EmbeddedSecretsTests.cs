using System.Net;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// API.md, Operator API and DESIGN.md, Configuration: with no operator key and no signing key configured, embedded
/// mode generates both on first start, keeps them in the data directory (the operator key only as a hash) and prints
/// the operator key once; after a restart both still work.
/// </summary>
public sealed class EmbeddedSecretsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GeneratedOperatorKeyAndSigningKeyAreKeptAcrossARestart()
    {
        var dataDirectory = GatewayApp.NewDataDirectory();
        try
        {
            string adminKey, token;
            TestApplication source, partner;
            Guid sessionId;
            await using (var first = GatewayApp.WithGeneratedSecrets(dataDirectory))
            {
                await first.InitializeAsync();
                adminKey = await first.GeneratedAdminKeyAsync();
                await (await first.Admin.GetAsync($"/admin/v1/applications/{Guid.NewGuid()}/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
                first.UseAdminKey(adminKey);
                source = await first.CreateApplicationAsync();
                partner = await first.CreateApplicationAsync();
                sessionId = await first.CreateVerifiedSessionAsync(source, SessionKind.User);
                token = await first.ShareAsync(source, sessionId, partner.ApplicationId);
                Assert.StartsWith("embedded-", TestTokens.Header(token).Str("kid"), StringComparison.Ordinal);
                Assert.False(TestTokens.IsSignedWith(token, GatewayApp.SigningKey));
            }

            foreach (var file in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories))
            {
                var bytes = await File.ReadAllBytesAsync(file, Ct);
                Assert.DoesNotContain(adminKey, System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            }

            var second = GatewayApp.WithGeneratedSecrets(dataDirectory);
            await using (second)
            {
                await second.InitializeAsync();
                second.UseAdminKey(adminKey);
                await (await second.Admin.GetAsync($"/admin/v1/applications/{partner.ApplicationId}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
                var clone = await second.ImportAsync(partner with { Client = second.CreateClient(partner.ApiKey) }, token, partner.KycWorkflowId);
                Assert.Equal(sessionId, clone.Id("shared_from_session"));
            }

            // Checked once the host has stopped, when every start-up callback has run.
            Assert.False(second.PrintedAnAdminKey, "The operator key was generated again on restart.");
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task GeneratedOperatorKeyIsPrintedOnceToTheConsoleAndNeverLogged()
    {
        var dataDirectory = GatewayApp.NewDataDirectory();
        try
        {
            var app = GatewayApp.WithGeneratedSecrets(dataDirectory);
            string adminKey;
            await using (app)
            {
                await app.InitializeAsync();
                adminKey = await app.GeneratedAdminKeyAsync();
                app.UseAdminKey(adminKey);
                await app.CreateBareApplicationAsync();
            }

            // Checked once the host has stopped, when every start-up callback has run.
            Assert.Single(app.ConsoleLines, line => line.Contains(adminKey, StringComparison.Ordinal));
            Assert.Contains(app.LogMessages, m => m.StartsWith("Generated an operator key", StringComparison.Ordinal));
            Assert.DoesNotContain(app.LogMessages, m => m.Contains(adminKey, StringComparison.Ordinal));
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(dataDirectory);
        }
    }
}
