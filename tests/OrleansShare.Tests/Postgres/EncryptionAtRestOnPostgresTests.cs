using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// Issue 14, item 6, on PostgreSQL in cluster mode: no stored row holds a decision's personal data (the session rows
/// are sealed, vendor_data and the index stay readable), source and clone read exactly what was sent, and rotation:
/// add a key, restart, old rows still read, new rows use the new key.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class EncryptionAtRestOnPostgresTests(PostgresServer server, ITestOutputHelper output) : PostgresClusterTest(server, output)
{
    [Fact]
    public async Task NoRowHoldsPlaintextOfADecisionAndRotationKeepsOldRowsReadable()
    {
        var cluster = await NewClusterAsync(silos: 0, gateways: 1, cohostedGateways: 1);
        await cluster.StartAllAsync(Cancel);
        var gateway = cluster.Gateway(0);
        var partners = await Partners.ProvisionAsync(gateway, Cancel);

        var (sourceId, secrets) = await CreateSessionAsync(gateway, partners);
        var shared = await gateway.ExpectAsync(201, HttpMethod.Post, $"/v3/session/{sourceId}/share/",
            new { for_application_id = partners.PartnerId, ttl_in_seconds = 86400 }, partners.SourceKey, cancellationToken: Cancel);
        var cloneId = Guid.Parse((await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/import-shared/",
            Partners.ImportBody(shared["share_token"]!.GetValue<string>()), partners.PartnerKey, cancellationToken: Cancel))["session_id"]!.GetValue<string>());

        var sourceText = await DecisionTextAsync(gateway, sourceId, partners.SourceKey);
        AssertSentAsIs(secrets, sourceText);
        AssertSentAsIs(secrets, await DecisionTextAsync(gateway, cloneId, partners.PartnerKey));

        // No row of this cluster holds the personal data; vendor_data is in the rows and in the index.
        var rows = await PayloadsAsync(cluster);
        Assert.Contains(rows, row => row.Contains(secrets.VendorData, StringComparison.Ordinal));
        foreach (var secret in secrets.All)
        {
            Assert.DoesNotContain(rows, row => row.Contains(secret, StringComparison.Ordinal));
        }

        Assert.StartsWith($"{{\"sealed\":\"v1.{ProcessCluster.StorageKid}.", await SessionPayloadAsync(cluster, sourceId), StringComparison.Ordinal);
        Assert.StartsWith($"{{\"sealed\":\"v1.{ProcessCluster.StorageKid}.", await SessionPayloadAsync(cluster, cloneId), StringComparison.Ordinal);
        Assert.Equal(secrets.VendorData, await IndexedVendorDataAsync(cluster, sourceId));
        Assert.Equal([ProcessCluster.StorageKid], await DataKeyKidsAsync(cluster, partners.SourceId));
        Assert.Equal([ProcessCluster.StorageKid], await DataKeyKidsAsync(cluster, partners.PartnerId));

        // Rotation: add a key and make it the encrypting one, restart.
        await cluster.StopGatewayAsync(0);
        cluster.StartGateway(0, new Dictionary<string, string>
        {
            ["Storage__EncryptionKeys__cluster2"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Storage__EncryptionKeyId"] = "cluster2",
        });
        await cluster.WaitReadyAsync(0, expectedSilos: 1, Cancel);

        Assert.Equal(sourceText, await DecisionTextAsync(gateway, sourceId, partners.SourceKey));
        AssertSentAsIs(secrets, await DecisionTextAsync(gateway, cloneId, partners.PartnerKey));
        var (laterId, laterSecrets) = await CreateSessionAsync(gateway, partners);
        AssertSentAsIs(laterSecrets, await DecisionTextAsync(gateway, laterId, partners.SourceKey));
        Assert.StartsWith("{\"sealed\":\"v1.cluster2.", await SessionPayloadAsync(cluster, laterId), StringComparison.Ordinal);
        Assert.StartsWith($"{{\"sealed\":\"v1.{ProcessCluster.StorageKid}.", await SessionPayloadAsync(cluster, sourceId), StringComparison.Ordinal);
        Assert.Equal([ProcessCluster.StorageKid, "cluster2"], await DataKeyKidsAsync(cluster, partners.SourceId));

        rows = await PayloadsAsync(cluster);
        foreach (var secret in secrets.All.Concat(laterSecrets.All))
        {
            Assert.DoesNotContain(rows, row => row.Contains(secret, StringComparison.Ordinal));
        }

        cluster.ThrowIfAnyCrashed();
    }

    private sealed record Secrets(string InSection, string InMetadata, string InExpectedDetails, string InContactDetails, string VendorData)
    {
        public IEnumerable<string> All => [InSection, InMetadata, InExpectedDetails, InContactDetails];

        public string IdVerifications => $$"""[{"status": "Approved", "document_number": "{{InSection}}", "first_name": "Zoë", "score": 1e-7}]""";

        public string Metadata => $$"""{"account": "{{InMetadata}}", "big": 12345678901234567890}""";

        public string ExpectedDetails => $$"""{"first_name": "{{InExpectedDetails}}", "last_name": "Española Ñúñez"}""";

        public string ContactDetails => $$"""{"email": "{{InContactDetails}}@example.com"}""";
    }

    private static async Task<(Guid SessionId, Secrets Secrets)> CreateSessionAsync(GatewayClient gateway, Partners partners)
    {
        string Distinct(string what) => $"{what}Qz{Guid.NewGuid():N}";
        var secrets = new Secrets(Distinct("Section"), Distinct("Meta"), Distinct("Expected"), Distinct("Contact"), Distinct("vendor"));
        var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/", $$"""
            {"workflow_id": "{{partners.SourceKycWorkflow}}", "vendor_data": "{{secrets.VendorData}}",
             "metadata": {{secrets.Metadata}}, "expected_details": {{secrets.ExpectedDetails}}, "contact_details": {{secrets.ContactDetails}}}
            """, partners.SourceKey, cancellationToken: Cancel);
        var sessionId = Guid.Parse(created["session_id"]!.GetValue<string>());
        await gateway.ExpectAsync(200, HttpMethod.Put, $"/v3/session/{sessionId}/decision/",
            $$"""{"status": "Approved", "id_verifications": {{secrets.IdVerifications}}}""", partners.SourceKey, cancellationToken: Cancel);
        return (sessionId, secrets);
    }

    private static async Task<string> DecisionTextAsync(GatewayClient gateway, Guid sessionId, string apiKey)
    {
        var answer = await gateway.SendAsync(HttpMethod.Get, $"/v3/session/{sessionId}/decision/", apiKey: apiKey, cancellationToken: Cancel);
        Assert.True(answer.Status == 200, answer.Text);
        return answer.Text;
    }

    private static void AssertSentAsIs(Secrets secrets, string documentText)
    {
        using var document = JsonDocument.Parse(documentText);
        foreach (var (name, sent) in new[]
        {
            ("id_verifications", secrets.IdVerifications), ("metadata", secrets.Metadata),
            ("expected_details", secrets.ExpectedDetails), ("contact_details", secrets.ContactDetails),
        })
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sent), JsonNode.Parse(document.RootElement.GetProperty(name).GetRawText())), $"{name}: {documentText}");
            using var expected = JsonDocument.Parse(sent);
            Assert.Equal(expected.RootElement.GetRawText(), document.RootElement.GetProperty(name).GetRawText());
        }
    }

    private static async Task<List<string>> PayloadsAsync(ProcessCluster cluster) =>
        await QueryAsync(cluster, "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE serviceid = @Service AND payloadbinary IS NOT NULL");

    private static async Task<string> SessionPayloadAsync(ProcessCluster cluster, Guid sessionId) =>
        Assert.Single(await QueryAsync(cluster, """
            SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage
            WHERE serviceid = @Service AND graintypestring = 'session' AND payloadbinary IS NOT NULL
              AND (convert_from(payloadbinary, 'UTF8')::jsonb ->> 'session_id')::uuid = @Id
            """, sessionId));

    private static async Task<string> IndexedVendorDataAsync(ProcessCluster cluster, Guid sessionId) =>
        Assert.Single(await QueryAsync(cluster, "SELECT vendor_data FROM session_index WHERE service_id = @Service AND session_id = @Id", sessionId));

    private static Task<List<string>> DataKeyKidsAsync(ProcessCluster cluster, Guid applicationId) =>
        QueryAsync(cluster, "SELECT kid FROM data_key WHERE service_id = @Service AND application_id = @Id ORDER BY kid", applicationId);

    private static async Task<List<string>> QueryAsync(ProcessCluster cluster, string sql, Guid? id = null)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(Cancel);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("Service", cluster.ServiceId);
        if (id is { } value)
        {
            command.Parameters.AddWithValue("Id", value);
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
