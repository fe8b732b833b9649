using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// API.md, The session document: sections are stored and cloned exactly as given. Each section of the clone is
/// compared with what was sent both as JSON (deep equality) and as text (every number, escape and null as written).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CloneFidelityTests(GatewayApp app)
{
    private const string Metadata = """{"user_type": "premium", "account_id": "ABC123", "score": 89.92, "tiny": 1e-7, "big": 12345678901234567890, "tags": [], "nested": {"empty": {}, "none": null, "name": "Española Ñúñez"}}""";
    private const string ExpectedDetails = """{"first_name": "Carmen", "last_name": "Española Ñúñez", "other_names": ["李小龍", "🦊"], "date_of_birth": "1980-01-01", "lat": 37.4237349802915, "lng": -122.083183169709}""";
    private const string ContactDetails = """{"email": "carmen@example.com", "email_lang": "es", "phone": "+34600000000", "send_notification_emails": false, "extra": null}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KycCloneKeepsEveryOneOfTheTenSectionsExactly()
    {
        Assert.Equal(Sections.User.Order(StringComparer.Ordinal), Decisions.RichKyc.Select(s => s.Key).Order(StringComparer.Ordinal));

        await AssertCloneIsExact(SessionKind.User, "Approved", Decisions.RichKyc);
    }

    [Fact]
    public async Task KybCloneKeepsEveryOneOfTheSevenSectionsExactly()
    {
        Assert.Equal(Sections.Business.Order(StringComparer.Ordinal), Decisions.RichKyb.Select(s => s.Key).Order(StringComparer.Ordinal));

        await AssertCloneIsExact(SessionKind.Business, "APPROVED", Decisions.RichKyb);
    }

    [Fact]
    public async Task SectionsNeverRecordedAreEmptyArraysAndTheOtherKindsAreAbsent()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source, SessionKind.Business,
            Decisions.Build("APPROVED", [Decisions.RichKyb[0]]));

        var clone = await app.ImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), partner.KybWorkflowId);

        foreach (var section in Sections.Business.Skip(1))
        {
            Assert.Equal("[]", clone[section]!.ToJsonString());
        }

        foreach (var section in Sections.User.Except(Sections.Business))
        {
            Assert.False(clone.ContainsKey(section), $"A business document carries {section}");
        }
    }

    [Fact]
    public async Task LaterDecisionReplacesOnlyTheSectionsItCarries()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateSessionAsync(source, source.KycWorkflowId);
        await app.RecordDecisionAsync(source, sessionId, Decisions.Build("In Review", Decisions.RichKyc));
        var liveness = """[{"status": "Approved", "score": 99.5, "method": "PASSIVE"}]""";
        await app.RecordDecisionAsync(source, sessionId, Decisions.Build("Approved", [new("liveness_checks", liveness)]));

        var response = await app.TryImportAsync(partner, await app.ShareAsync(source, sessionId, partner.ApplicationId), partner.KycWorkflowId, trustReview: true);

        using var clone = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Approved", clone.RootElement.GetProperty("status").GetString());
        AssertSameJson(liveness, clone.RootElement.GetProperty("liveness_checks"), "liveness_checks");
        AssertSameJson(Decisions.RichKyc[0].Value, clone.RootElement.GetProperty("id_verifications"), "id_verifications");
    }

    private async Task AssertCloneIsExact(SessionKind kind, string status, IReadOnlyList<KeyValuePair<string, string>> sections)
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var createBody = $$"""
            {"workflow_id": "{{source.WorkflowFor(kind)}}", "vendor_data": "source-vendor", "callback": "https://example.com/callback?ñ=1",
             "metadata": {{Metadata}}, "expected_details": {{ExpectedDetails}}, "contact_details": {{ContactDetails}}}
            """;
        var created = await (await source.Client.PostAsync("/v3/session/", Body.Json(createBody), Ct)).AssertJsonAsync(System.Net.HttpStatusCode.Created);
        var sessionId = created.Id("session_id");
        await app.RecordDecisionAsync(source, sessionId, Decisions.Build(status, sections));
        var token = await app.ShareAsync(source, sessionId, partner.ApplicationId);

        var response = await app.TryImportAsync(partner, token, partner.WorkflowFor(kind), trustReview: true, vendorData: "partner-vendor");

        var cloneText = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, cloneText);
        var sourceText = await (await source.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct)).Content.ReadAsStringAsync(Ct);
        using var clone = JsonDocument.Parse(cloneText);
        using var original = JsonDocument.Parse(sourceText);
        foreach (var (name, json) in sections)
        {
            AssertSameJson(json, clone.RootElement.GetProperty(name), $"clone {name}");
            AssertSameJson(json, original.RootElement.GetProperty(name), $"source {name}");
        }

        AssertSameJson(Metadata, clone.RootElement.GetProperty("metadata"), "metadata");
        AssertSameJson(ExpectedDetails, clone.RootElement.GetProperty("expected_details"), "expected_details");
        AssertSameJson(ContactDetails, clone.RootElement.GetProperty("contact_details"), "contact_details");
        Assert.Equal("https://example.com/callback?ñ=1", clone.RootElement.GetProperty("callback").GetString());
        Assert.Equal(status, clone.RootElement.GetProperty("status").GetString());
        Assert.Equal("partner-vendor", clone.RootElement.GetProperty("vendor_data").GetString());

        var reread = await (await partner.Client.GetAsync($"/v3/session/{clone.RootElement.GetProperty("session_id").GetString()}/decision/", Ct))
            .Content.ReadAsStringAsync(Ct);
        Assert.Equal(cloneText, reread);
    }

    /// <summary>Deep-equal as JSON, and the same text once the sent text is stripped of its surrounding whitespace.</summary>
    private static void AssertSameJson(string sent, JsonElement actual, string what)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sent), JsonNode.Parse(actual.GetRawText())), $"{what} differs as JSON:\n{sent}\n!=\n{actual.GetRawText()}");
        using var expected = JsonDocument.Parse(sent);
        Assert.Equal(expected.RootElement.GetRawText(), actual.GetRawText());
    }
}
