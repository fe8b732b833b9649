using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Durability on SQLite: a gateway is stopped and a new one started on the same data directory (same signing key,
/// new ports). Everything acknowledged before is there, byte for byte, and single redemption still holds.
/// </summary>
public sealed class RestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ImportsAndTheirAuditSurviveARestart()
    {
        var dataDirectory = GatewayApp.NewDataDirectory();
        try
        {
            TestApplication source, partner, gone;
            Guid kycSource, kybSource, kycClone, kybClone, pendingSource, revokedKeyId;
            string kycToken, kybToken, pendingToken, revokedKey;
            string kycCloneText, kybCloneText, sourceReviewsText, entityText;
            long highestNumber;

            await using (var first = GatewayApp.OnDataDirectory(dataDirectory))
            {
                await first.InitializeAsync();
                source = await first.CreateApplicationAsync();
                partner = await first.CreateApplicationAsync();
                gone = await first.CreateApplicationAsync();
                await first.DeleteApplicationAsync(gone.ApplicationId);
                (revokedKeyId, revokedKey) = await CreateKeyAsync(first, partner.ApplicationId);
                Assert.Equal(HttpStatusCode.NoContent, (await first.Admin.DeleteAsync(
                    $"/admin/v1/applications/{partner.ApplicationId}/api-keys/{revokedKeyId}/", Ct)).StatusCode);
                await (await partner.Client.PutAsync($"/v3/trust-policies/{source.ApplicationId}/", Body.Json("{\"trust_review\": true}"), Ct))
                    .AssertJsonAsync(HttpStatusCode.OK);

                kycSource = await first.CreateVerifiedSessionAsync(source, SessionKind.User, Decisions.Build("Approved", Decisions.RichKyc), extra: new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = "Española Ñúñez 李小龍 🦊", ["score"] = 89.92 },
                });
                kybSource = await first.CreateVerifiedSessionAsync(source, SessionKind.Business, Decisions.Build("APPROVED", Decisions.RichKyb));
                pendingSource = await first.CreateVerifiedSessionAsync(source);
                kycToken = await first.ShareAsync(source, kycSource, partner.ApplicationId);
                kybToken = await first.ShareAsync(source, kybSource, partner.ApplicationId);
                pendingToken = await first.ShareAsync(source, pendingSource, partner.ApplicationId);
                kycClone = (await first.ImportAsync(partner, kycToken, partner.KycWorkflowId, trustReview: false, vendorData: "restart-user")).Id("session_id");
                kybClone = (await first.ImportAsync(partner, kybToken, partner.KybWorkflowId, trustReview: false, vendorData: "restart-business")).Id("session_id");

                kycCloneText = await ReadAsync(partner, $"/v3/session/{kycClone}/decision/");
                kybCloneText = await ReadAsync(partner, $"/v3/session/{kybClone}/decision/");
                sourceReviewsText = await ReadAsync(source, $"/v3/sessions/{kycSource}/reviews/");
                entityText = await ReadAsync(partner, "/v3/users/restart-user/");
                highestNumber = (await first.GetDecisionAsync(partner, kybClone))["session_number"]!.GetValue<long>();
                Assert.Contains("imported_by_partner", sourceReviewsText, StringComparison.Ordinal);
            }

            await using var second = GatewayApp.OnDataDirectory(dataDirectory);
            await second.InitializeAsync();
            source = source with { Client = second.CreateClient(source.ApiKey) };
            partner = partner with { Client = second.CreateClient(partner.ApiKey) };

            Assert.Equal(kycCloneText, await ReadAsync(partner, $"/v3/session/{kycClone}/decision/"));
            Assert.Equal(kybCloneText, await ReadAsync(partner, $"/v3/session/{kybClone}/decision/"));
            Assert.Equal(sourceReviewsText, await ReadAsync(source, $"/v3/sessions/{kycSource}/reviews/"));
            Assert.Equal(entityText, await ReadAsync(partner, "/v3/users/restart-user/"));

            await (await second.TryImportAsync(partner, kycToken, partner.KycWorkflowId)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await second.TryImportAsync(partner, kybToken, partner.KybWorkflowId)).AssertProblemAsync(HttpStatusCode.Forbidden);
            var another = await second.ShareAsync(source, kycSource, partner.ApplicationId);
            await (await second.TryImportAsync(partner, another, partner.KycWorkflowId)).AssertProblemAsync(HttpStatusCode.Forbidden);

            var pending = await second.ImportAsync(partner, pendingToken);
            Assert.Equal("Approved", pending.Str("status"));
            Assert.Equal(partner.KycWorkflowId, pending.Id("workflow_id"));
            Assert.True(pending["session_number"]!.GetValue<long>() > highestNumber, "A session number was reused after the restart.");
            Assert.Equal(3, await second.CountSessionsAsync(partner));

            await (await second.CreateClient(revokedKey).GetAsync("/v3/sessions/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
            await (await second.CreateClient(gone.ApiKey).GetAsync("/v3/sessions/", Ct)).AssertProblemAsync(HttpStatusCode.Unauthorized);
            var shareToGone = await second.TryShareAsync(source, pendingSource, new JsonObject { ["for_application_id"] = gone.ApplicationId.ToString() });
            await shareToGone.AssertValidationProblemAsync("for_application_id");
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task TokenSignedBeforeARestartIsVerifiedAfterIt()
    {
        var dataDirectory = GatewayApp.NewDataDirectory();
        try
        {
            TestApplication source, partner;
            Guid sessionId;
            string token;
            await using (var first = GatewayApp.OnDataDirectory(dataDirectory))
            {
                await first.InitializeAsync();
                source = await first.CreateApplicationAsync();
                partner = await first.CreateApplicationAsync();
                sessionId = await first.CreateVerifiedSessionAsync(source, SessionKind.Business);
                token = await first.ShareAsync(source, sessionId, partner.ApplicationId, ttlInSeconds: 600);
                await (await first.TryImportAsync(partner, token, partner.KycWorkflowId)).AssertValidationProblemAsync("workflow_id");
            }

            await using var second = GatewayApp.OnDataDirectory(dataDirectory);
            await second.InitializeAsync();
            partner = partner with { Client = second.CreateClient(partner.ApiKey) };
            source = source with { Client = second.CreateClient(source.ApiKey) };

            var clone = await second.ImportAsync(partner, token, trustReview: true);

            Assert.Equal("APPROVED", clone.Str("status"));
            Assert.Equal(sessionId, clone.Id("shared_from_session"));
            Assert.Equal(["created", "decision_recorded", "shared", "imported_by_partner"], await second.GetActionsAsync(source, sessionId));
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(dataDirectory);
        }
    }

    private static async Task<string> ReadAsync(TestApplication application, string path)
    {
        var response = await application.Client.GetAsync(path, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return text;
    }

    private static async Task<(Guid KeyId, string Key)> CreateKeyAsync(GatewayApp app, Guid applicationId)
    {
        var response = await app.Admin.PostAsync(
            $"/admin/v1/applications/{applicationId}/api-keys/", Body.Json("{\"privileges\": [\"read:sessions\", \"write:sessions\"]}"), Ct);
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        return (created.Id("api_key_id"), created.Str("api_key"));
    }
}
