using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class DurabilityTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task EverythingAcknowledgedReadsBackAfterEverySiloAndGatewayRestarts()
    {
        var cluster = await NewClusterAsync(silos: 3, gateways: 1);
        await cluster.StartAllAsync(Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);
        await gateway.ExpectAsync(200, HttpMethod.Put, $"/v3/trust-policies/{partners.SourceId}/", new { trust_review = true }, partners.PartnerKey, cancellationToken: Cancel);

        var (kycSource, _) = await partners.CreateDecidedSessionAsync(gateway, 1, business: false, Cancel);
        var (kybSource, _) = await partners.CreateDecidedSessionAsync(gateway, 2, business: true, Cancel);
        await gateway.ExpectAsync(201, HttpMethod.Post, $"/v3/sessions/{kycSource}/reviews/", new { comment = "Checked by hand" }, partners.SourceKey, cancellationToken: Cancel);
        var kycToken = await partners.ShareAsync(gateway, kycSource, Cancel);
        var kybToken = await partners.ShareAsync(gateway, kybSource, Cancel);
        var kycClone = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(kycToken, vendorData: "partner-user-1"), partners.PartnerKey, cancellationToken: Cancel);
        var kybClone = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(kybToken, trustReview: false, vendorData: "partner-company-1"), partners.PartnerKey, cancellationToken: Cancel);
        var kycCloneId = kycClone["session_id"]!.GetValue<string>();
        var kybCloneId = kybClone["session_id"]!.GetValue<string>();
        await gateway.ExpectAsync(200, HttpMethod.Patch, $"/v3/session/{kybCloneId}/update-status/",
            new { new_status = "APPROVED", comment = "Registry extract matches" }, partners.PartnerKey, cancellationToken: Cancel);

        (string Path, string? Key)[] reads =
        [
            ($"/admin/v1/applications/{partners.SourceId}/", null),
            ($"/admin/v1/applications/{partners.PartnerId}/", null),
            ("/v3/workflows/", partners.SourceKey),
            ("/v3/workflows/", partners.PartnerKey),
            ("/v3/trust-policies/", partners.PartnerKey),
            ($"/v3/session/{kycSource}/decision/", partners.SourceKey),
            ($"/v3/session/{kybSource}/decision/", partners.SourceKey),
            ($"/v3/session/{kycCloneId}/decision/", partners.PartnerKey),
            ($"/v3/session/{kybCloneId}/decision/", partners.PartnerKey),
            ($"/v3/sessions/{kycSource}/reviews/", partners.SourceKey),
            ($"/v3/sessions/{kybSource}/reviews/", partners.SourceKey),
            ($"/v3/sessions/{kycCloneId}/reviews/", partners.PartnerKey),
            ($"/v3/sessions/{kybCloneId}/reviews/", partners.PartnerKey),
            ("/v3/sessions/?session_kind=all", partners.SourceKey),
            ("/v3/sessions/?session_kind=all", partners.PartnerKey),
            ("/v3/users/partner-user-1/", partners.PartnerKey),
            ("/v3/businesses/partner-company-1/", partners.PartnerKey),
        ];
        var before = await ReadAllAsync(gateway, reads);

        // Silos first: a gateway without a cluster is alive but not ready.
        for (var i = 0; i < cluster.SiloCount; i++)
        {
            await cluster.StopSiloAsync(i);
        }

        var notReady = await gateway.SendAsync(HttpMethod.Get, "/health/ready", cancellationToken: Cancel);
        Assert.True(notReady.Status == 503, $"/health/ready with every silo stopped: {notReady.Status} {notReady.Text}");
        Assert.Contains("No silo", notReady.Body?["detail"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(200, (await gateway.SendAsync(HttpMethod.Get, "/health/live", cancellationToken: Cancel)).Status);

        await cluster.StopAllAsync();
        await cluster.StartAllAsync(Cancel);
        var after = await ReadAllAsync(gateway, reads);

        Assert.All(reads, read => Assert.True(JsonNode.DeepEquals(before[read], after[read]),
            $"{read.Path} ({(read.Key is null ? "admin" : read.Key == partners.SourceKey ? "source" : "partner")}) changed across the restart:\nbefore {before[read].ToJsonString()}\nafter  {after[read].ToJsonString()}"));
        Assert.Equal(403, (await gateway.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(kycToken), partners.PartnerKey, cancellationToken: Cancel)).Status);
        Assert.Equal(403, (await gateway.SendAsync(HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(kybToken), partners.PartnerKey, cancellationToken: Cancel)).Status);
        cluster.ThrowIfAnyCrashed();
        Log($"{reads.Length} reads identical after restarting 3 silos and the gateway (not ready while the silos were down); both redeemed tokens answer 403; test run time {Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<Dictionary<(string Path, string? Key), JsonNode>> ReadAllAsync(GatewayClient gateway, (string Path, string? Key)[] reads)
    {
        var answers = new Dictionary<(string Path, string? Key), JsonNode>();
        foreach (var read in reads)
        {
            answers[read] = await gateway.ExpectAsync(200, HttpMethod.Get, read.Path, apiKey: read.Key, admin: read.Key is null, cancellationToken: Cancel);
        }

        return answers;
    }
}
