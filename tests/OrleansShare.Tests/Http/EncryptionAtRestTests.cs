using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Issue 14, item 6, in embedded mode on its SQLite file: a decision's sections, metadata, expected_details and
/// contact_details are nowhere in the database file or its WAL, while vendor_data and the listing stay in clear;
/// source and clone read exactly what was sent; the generated master key is kept owner-only and survives restarts;
/// rotation (add a key, restart) keeps old rows readable and seals new ones under the new key.
/// </summary>
[Trait("Layer", "Http")]
public sealed class EncryptionAtRestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheDatabaseFileAndItsWalHoldNoPlaintextOfADecision(bool groupCommit)
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["Storage:GroupCommit"] = groupCommit ? "true" : "false" });
        await app.InitializeAsync();
        var secrets = Secrets.New();
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();

        var sessionId = await CreateSessionAsync(app, source, secrets);
        await app.RecordDecisionAsync(source, sessionId, secrets.Decision);
        var sourceDocument = await DecisionTextAsync(source, sessionId);
        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), partner.KycWorkflowId, trustReview: true,
            vendorData: secrets.VendorData + "-partner");
        var cloneId = clone.Id("session_id");

        // Source and clone read what was sent, to the character; the source reads as before the share.
        AssertSentAsIs(secrets, await DecisionTextAsync(source, sessionId));
        AssertSentAsIs(secrets, await DecisionTextAsync(partner, cloneId));
        Assert.Equal(sourceDocument, await DecisionTextAsync(source, sessionId));

        // The listing (session_index, from the clear members) still finds both sessions by vendor_data.
        var listed = await (await source.Client.GetAsync($"/v3/sessions/?vendor_data={secrets.VendorData}", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, listed["count"]!.GetValue<int>());

        // Nothing personal in the database file or its WAL; vendor_data is there, so the scan does see the rows.
        var stored = ReadDatabaseFiles(app.DataDirectory);
        Assert.Contains(secrets.VendorData, stored, StringComparison.Ordinal);
        foreach (var secret in secrets.All)
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }

        // Both sessions are sealed, each under its own application's data key.
        Assert.StartsWith("{\"sealed\":\"v1.", await StoredPayloadAsync(app.DataDirectory, sessionId), StringComparison.Ordinal);
        Assert.StartsWith("{\"sealed\":\"v1.", await StoredPayloadAsync(app.DataDirectory, cloneId), StringComparison.Ordinal);
        Assert.Single(await DataKeyKidsAsync(app.DataDirectory, source.ApplicationId));
        Assert.Single(await DataKeyKidsAsync(app.DataDirectory, partner.ApplicationId));
    }

    [Fact]
    public async Task TheGeneratedMasterKeyIsKeptOwnerOnlyAndReadsAfterARestart()
    {
        var directory = GatewayApp.NewDataDirectory();
        try
        {
            var secrets = Secrets.New();
            Guid sessionId;
            TestApplication source;
            string before;
            await using (var first = GatewayApp.OnDataDirectory(directory))
            {
                await first.InitializeAsync();
                source = await first.CreateApplicationAsync();
                sessionId = await CreateSessionAsync(first, source, secrets);
                await first.RecordDecisionAsync(source, sessionId, secrets.Decision);
                before = await DecisionTextAsync(source, sessionId);
            }

            var keyFile = Path.Combine(directory, "storage-encryption-keys.json");
            Assert.True(File.Exists(keyFile));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(keyFile));
            }

            var keys = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(keyFile, Ct))!;
            var (kid, key) = Assert.Single(keys);
            Assert.Equal(32, Convert.FromBase64String(key).Length);
            Assert.StartsWith($"{{\"sealed\":\"v1.{kid}.", await StoredPayloadAsync(directory, sessionId), StringComparison.Ordinal);

            await using var second = GatewayApp.OnDataDirectory(directory);
            await second.InitializeAsync();
            var client = second.CreateClient(source.ApiKey);
            Assert.Equal(before, await DecisionTextAsync(source with { Client = client }, sessionId));
            Assert.Equal(keys, JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(keyFile, Ct)));
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(directory);
        }
    }

    [Fact]
    public async Task RotationAddAKeyRestartOldRowsStillReadNewRowsUseTheNewKey()
    {
        var directory = GatewayApp.NewDataDirectory();
        var k1 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var k2 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        try
        {
            var secrets = Secrets.New();
            TestApplication source;
            Guid oldId;
            string oldDocument;
            await using (var first = GatewayApp.OnDataDirectory(directory, new Dictionary<string, string> { ["Storage:EncryptionKeys:k2025"] = k1 }))
            {
                await first.InitializeAsync();
                source = await first.CreateApplicationAsync();
                oldId = await CreateSessionAsync(first, source, secrets);
                await first.RecordDecisionAsync(source, oldId, secrets.Decision);
                oldDocument = await DecisionTextAsync(source, oldId);
            }

            Assert.False(File.Exists(Path.Combine(directory, "storage-encryption-keys.json")), "a configured key leaves nothing to generate");
            Assert.StartsWith("{\"sealed\":\"v1.k2025.", await StoredPayloadAsync(directory, oldId), StringComparison.Ordinal);

            // Add a key, name it the encrypting one, restart.
            await using var second = GatewayApp.OnDataDirectory(directory, new Dictionary<string, string>
            {
                ["Storage:EncryptionKeys:k2025"] = k1,
                ["Storage:EncryptionKeys:k2026"] = k2,
                ["Storage:EncryptionKeyId"] = "k2026",
            });
            await second.InitializeAsync();
            source = source with { Client = second.CreateClient(source.ApiKey) };

            Assert.Equal(oldDocument, await DecisionTextAsync(source, oldId));
            Assert.StartsWith("{\"sealed\":\"v1.k2025.", await StoredPayloadAsync(directory, oldId), StringComparison.Ordinal);

            var newSecrets = Secrets.New();
            var newId = await CreateSessionAsync(second, source, newSecrets);
            await second.RecordDecisionAsync(source, newId, newSecrets.Decision);
            AssertSentAsIs(newSecrets, await DecisionTextAsync(source, newId));
            Assert.StartsWith("{\"sealed\":\"v1.k2026.", await StoredPayloadAsync(directory, newId), StringComparison.Ordinal);
            Assert.Equal(["k2025", "k2026"], await DataKeyKidsAsync(directory, source.ApplicationId));

            // The next write of an old session seals it under the new key, and it reads as before.
            var review = await source.Client.PatchAsync($"/v3/session/{oldId}/update-status/",
                Body.Json("""{"new_status": "Declined", "comment": "rotation"}"""), Ct);
            Assert.True(review.IsSuccessStatusCode, await review.Content.ReadAsStringAsync(Ct));
            Assert.StartsWith("{\"sealed\":\"v1.k2026.", await StoredPayloadAsync(directory, oldId), StringComparison.Ordinal);
            AssertSentAsIs(secrets, await DecisionTextAsync(source, oldId));

            var stored = ReadDatabaseFiles(directory);
            foreach (var secret in secrets.All.Concat(newSecrets.All))
            {
                Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            }
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(directory);
        }
    }

    [Fact]
    public async Task AMalformedMasterKeyStopsTheGatewayNamingTheSettingBeforeAnythingIsCreated()
    {
        var work = Path.Combine(Path.GetTempPath(), "orleansshare-start-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var dataDirectory = Path.Combine(work, "data");
            var ports = TestPorts.Next(3);
            var environment = new Dictionary<string, string>
            {
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports[0]}",
                ["Cluster__SiloPort"] = $"{ports[1]}",
                ["Cluster__GatewayPort"] = $"{ports[2]}",
                ["Storage__DataDirectory"] = dataDirectory,
                ["Storage__EncryptionKeys__k1"] = Convert.ToBase64String(new byte[16]),
            };

            await using var gateway = HostProcess.Start(
                "gateway", ProcessCluster.Dll("Gateway", "OrleansShare.Gateway.dll"), environment, Path.Combine(work, "gateway.log"));
            await gateway.WaitForExitAsync(TimeSpan.FromMinutes(2));

            Assert.True(gateway.ExitCode is 2, gateway.Tail());
            Assert.Equal(1, gateway.CountInLog("Storage__EncryptionKeys__k1 must be the base64 of 32 random bytes"));
            Assert.Equal(0, gateway.CountInLog("Unhandled exception"));
            Assert.False(Directory.Exists(dataDirectory), "The refused start created the data folder.");
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(work);
        }
    }

    /// <summary>Distinctive strings, one in each protected member, and the decision and session body carrying them.</summary>
    private sealed record Secrets(string InSection, string InMetadata, string InExpectedDetails, string InContactDetails, string VendorData)
    {
        public static Secrets New()
        {
            string Distinct(string what) => $"{what}Qz{Guid.NewGuid():N}";
            return new Secrets(Distinct("Section"), Distinct("Meta"), Distinct("Expected"), Distinct("Contact"), Distinct("vendor"));
        }

        public IEnumerable<string> All => [InSection, InMetadata, InExpectedDetails, InContactDetails];

        public string IdVerifications => $$"""[{"status": "Approved", "document_number": "{{InSection}}", "first_name": "Zoë", "score": 1e-7, "none": null}]""";

        public string Decision => Decisions.Build("Approved", [new("id_verifications", IdVerifications), Decisions.SimpleKyc[1]]);

        public string Metadata => $$"""{"account": "{{InMetadata}}", "big": 12345678901234567890}""";

        public string ExpectedDetails => $$"""{"first_name": "{{InExpectedDetails}}", "last_name": "Española Ñúñez"}""";

        public string ContactDetails => $$"""{"email": "{{InContactDetails}}@example.com", "phone": "+34600000000"}""";
    }

    private static async Task<Guid> CreateSessionAsync(GatewayApp app, TestApplication source, Secrets secrets)
    {
        var body = $$"""
            {"workflow_id": "{{source.KycWorkflowId}}", "vendor_data": "{{secrets.VendorData}}",
             "metadata": {{secrets.Metadata}}, "expected_details": {{secrets.ExpectedDetails}}, "contact_details": {{secrets.ContactDetails}}}
            """;
        var created = await (await source.Client.PostAsync("/v3/session/", Body.Json(body), Ct)).AssertJsonAsync(HttpStatusCode.Created);
        _ = app;
        return created.Id("session_id");
    }

    private static async Task<string> DecisionTextAsync(TestApplication app, Guid sessionId)
    {
        var response = await app.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The protected members read back as the very text that was sent (whitespace around them aside).</summary>
    private static void AssertSentAsIs(Secrets secrets, string documentText)
    {
        using var document = JsonDocument.Parse(documentText);
        var root = document.RootElement;
        foreach (var (name, sent) in new[]
        {
            ("id_verifications", secrets.IdVerifications), ("metadata", secrets.Metadata),
            ("expected_details", secrets.ExpectedDetails), ("contact_details", secrets.ContactDetails),
        })
        {
            using var expected = JsonDocument.Parse(sent);
            Assert.Equal(expected.RootElement.GetRawText(), root.GetProperty(name).GetRawText());
        }
    }

    /// <summary>The SQLite database file and its WAL and journal as Latin-1 text (every byte one character), read while open.</summary>
    private static string ReadDatabaseFiles(string directory)
    {
        var text = new StringBuilder();
        foreach (var suffix in new[] { "", "-wal", "-journal" })
        {
            var path = Path.Combine(directory, StorageOptions.DatabaseFileName + suffix);
            if (!File.Exists(path))
            {
                continue;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            text.Append(Encoding.Latin1.GetString(copy.ToArray()));
        }

        return text.ToString();
    }

    private static async Task<string> StoredPayloadAsync(string directory, Guid sessionId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, StorageOptions.DatabaseFileName)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT CAST(PayloadBinary AS TEXT) FROM OrleansStorage
            WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL
              AND lower(json_extract(CAST(PayloadBinary AS TEXT), '$.session_id')) = @Id
            """;
        command.Parameters.AddWithValue("@Id", sessionId.ToString("D"));
        return (string?)await command.ExecuteScalarAsync(Ct) ?? throw new InvalidOperationException($"No stored row for session {sessionId}.");
    }

    private static async Task<List<string>> DataKeyKidsAsync(string directory, Guid applicationId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, StorageOptions.DatabaseFileName)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kid FROM data_key WHERE application_id = @Id ORDER BY kid";
        command.Parameters.AddWithValue("@Id", applicationId.ToString("D"));
        var kids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            kids.Add(reader.GetString(0));
        }

        return kids;
    }
}
