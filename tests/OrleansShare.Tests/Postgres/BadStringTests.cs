using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// API.md, Conventions, strings, on PostgreSQL (where text cannot hold U+0000 and jsonb refuses a lone surrogate): bad
/// strings are 400 and change nothing, the session saves and lists afterwards, and JSON documents keep U+0000 through
/// storage, the session index and an import.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class BadStringTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task BadStringsAre400AndTheSessionStillSavesAndDocumentsKeepUPlus0000()
    {
        var cluster = await NewClusterAsync(silos: 0, gateways: 1, cohostedGateways: 1);
        await cluster.StartAllAsync(Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);
        var (sessionId, _) = await partners.CreateDecidedSessionAsync(gateway, 1, business: false, Cancel);
        var token = await partners.ShareAsync(gateway, sessionId, Cancel);
        var before = await SnapshotAsync(gateway, partners, sessionId);

        string[] refused =
        [
            $$"""POST /v3/session/ {"workflow_id": "{{partners.SourceKycWorkflow}}", "vendor_data": "user-\u0000"}""",
            $$"""POST /v3/session/ {"workflow_id": "{{partners.SourceKycWorkflow}}", "vendor_data": "user-\ud800"}""",
            $$"""POST /v3/session/ {"workflow_id": "{{partners.SourceKycWorkflow}}", "metadata": {"note": "\udc00"} }""",
            $$"""POST /v3/sessions/{{sessionId}}/reviews/ {"comment": "checked\u0000"}""",
            $$"""POST /v3/sessions/{{sessionId}}/reviews/ {"comment": "checked\ud800"}""",
            $$"""PATCH /v3/session/{{sessionId}}/update-status/ {"new_status": "Declined", "comment": "\u0000"}""",
            $$"""PUT /v3/session/{{sessionId}}/decision/ {"status": "Approved", "id_verifications": [{"first_name": "\ud800"}]}""",
        ];
        foreach (var request in refused)
        {
            var answer = await SendAsync(gateway, partners.SourceKey, request);
            Assert.True(answer.Status == 400, $"{request}: {answer.Status} {answer.Text}");
        }

        var import = await SendAsync(gateway, partners.PartnerKey, $$"""POST /v3/session/import-shared/ {"share_token": "{{token}}", "vendor_data": "p\u0000"}""");
        Assert.True(import.Status == 400, $"import: {import.Status} {import.Text}");
        var query = await gateway.SendAsync(HttpMethod.Get, "/v3/sessions/?vendor_data=user%00-1", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.True(query.Status == 400, $"query: {query.Status} {query.Text}");
        var entity = await gateway.SendAsync(HttpMethod.Get, "/v3/users/user%00-1/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.True(entity.Status == 400, $"entity (Kestrel refuses U+0000 in a path): {entity.Status} {entity.Text}");
        Assert.Equal(before, await SnapshotAsync(gateway, partners, sessionId));

        // The session still saves, and the index still lists it.
        await gateway.ExpectAsync(201, HttpMethod.Post, $"/v3/sessions/{sessionId}/reviews/", new { comment = "checked by hand" }, partners.SourceKey, cancellationToken: Cancel);
        await gateway.ExpectAsync(200, HttpMethod.Patch, $"/v3/session/{sessionId}/update-status/", new { new_status = "Declined" }, partners.SourceKey, cancellationToken: Cancel);
        var listed = await gateway.ExpectAsync(200, HttpMethod.Get, "/v3/sessions/?vendor_data=user-1", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.Equal("Declined", listed["results"]![0]!["status"]!.GetValue<string>());

        // JSON documents keep U+0000 through storage, the index and an import.
        var created = await SendAsync(gateway, partners.SourceKey, $$"""
            POST /v3/session/ {"workflow_id": "{{partners.SourceKycWorkflow}}", "vendor_data": "nul-docs", "metadata": {"note": "a\u0000b"}, "contact_details": {"email": "\u0000"} }
            """);
        Assert.True(created.Status == 201, created.Text);
        var documentsId = created.Json["session_id"]!.GetValue<string>();
        var decided = await SendAsync(gateway, partners.SourceKey, $$"""
            PUT /v3/session/{{documentsId}}/decision/ {"status": "Approved", "id_verifications": [{"first_name": "Ana\u0000Maria"}]}
            """);
        Assert.True(decided.Status == 200, decided.Text);
        var documentsToken = await partners.ShareAsync(gateway, Guid.Parse(documentsId), Cancel);
        var clone = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/", Partners.ImportBody(documentsToken), partners.PartnerKey, cancellationToken: Cancel);

        var source = await gateway.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{documentsId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.Equal("a\0b", source["metadata"]!["note"]!.GetValue<string>());
        Assert.Equal("\0", source["contact_details"]!["email"]!.GetValue<string>());
        Assert.Equal("Ana\0Maria", source["id_verifications"]![0]!["first_name"]!.GetValue<string>());
        Assert.Equal("Ana\0Maria", clone["id_verifications"]![0]!["first_name"]!.GetValue<string>());
        var documentsListed = await gateway.ExpectAsync(200, HttpMethod.Get, "/v3/sessions/?vendor_data=nul-docs", apiKey: partners.SourceKey, cancellationToken: Cancel);
        Assert.Equal(documentsId, documentsListed["results"]![0]!["session_id"]!.GetValue<string>());
        cluster.ThrowIfAnyCrashed();
    }

    /// <summary>Sends <c>METHOD path body</c>, the body as written (its escapes untouched).</summary>
    private static Task<ApiResponse> SendAsync(GatewayClient gateway, string apiKey, string request)
    {
        var parts = request.Trim().Split(' ', 3);
        return gateway.SendAsync(new HttpMethod(parts[0]), parts[1], parts[2], apiKey, cancellationToken: Cancel);
    }

    /// <summary>What a refused call could have changed: the source session and its log, and both applications' session lists.</summary>
    private static async Task<string> SnapshotAsync(GatewayClient gateway, Partners partners, Guid sessionId)
    {
        var session = await gateway.ExpectAsync(200, HttpMethod.Get, $"/v3/session/{sessionId}/decision/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        var log = await gateway.ExpectAsync(200, HttpMethod.Get, $"/v3/sessions/{sessionId}/reviews/", apiKey: partners.SourceKey, cancellationToken: Cancel);
        var sourceList = await gateway.ExpectAsync(200, HttpMethod.Get, "/v3/sessions/?session_kind=all", apiKey: partners.SourceKey, cancellationToken: Cancel);
        var partnerList = await gateway.ExpectAsync(200, HttpMethod.Get, "/v3/sessions/?session_kind=all", apiKey: partners.PartnerKey, cancellationToken: Cancel);
        return string.Join("\n", new JsonNode[] { session, log, sourceList, partnerList }.Select(n => n.ToJsonString()));
    }
}
