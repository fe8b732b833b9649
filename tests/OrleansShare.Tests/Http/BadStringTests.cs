using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// API.md, Conventions, strings: a lone surrogate escape anywhere in a body is 400, U+0000 in a plain string field is
/// 400, both change nothing (the same body without the character then succeeds), and JSON documents keep U+0000.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BadStringTests(GatewayApp app)
{
    private const string LoneSurrogate = "lone surrogate";
    private const string Nul = "U+0000";
    private const string Marker = "SPOILEDHERE";

    private static readonly Dictionary<string, string> Escapes = new(StringComparer.Ordinal)
    {
        [LoneSurrogate] = "\\ud800",
        [Nul] = "\\u0000",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Every string field of every write endpoint: free text with both characters; UUIDs and names from a fixed list
    /// (already 400 with U+0000, since no such value exists) with the lone surrogate; JSON documents and unknown fields
    /// with the lone surrogate only, as they keep U+0000 or ignore it.
    /// </summary>
    public static TheoryData<string, string, string> StringFields => new()
    {
        { "create application", "name", LoneSurrogate },
        { "create application", "name", Nul },
        { "create application", "organization_id", LoneSurrogate },
        { "create api key", "privileges.0", LoneSurrogate },
        { "create workflow", "workflow_label", LoneSurrogate },
        { "create workflow", "workflow_label", Nul },
        { "create workflow", "features.0", LoneSurrogate },
        { "create workflow", "features.1.feature", LoneSurrogate },
        { "create workflow", "features.1.config.mode", LoneSurrogate },
        { "create session", "vendor_data", LoneSurrogate },
        { "create session", "vendor_data", Nul },
        { "create session", "callback", LoneSurrogate },
        { "create session", "callback", Nul },
        { "create session", "language", LoneSurrogate },
        { "create session", "language", Nul },
        { "create session", "workflow_id", LoneSurrogate },
        { "create session", "metadata.note", LoneSurrogate },
        { "create session", "contact_details.email", LoneSurrogate },
        { "create session", "expected_details.first_name", LoneSurrogate },
        { "create session", "unknown_field", LoneSurrogate },
        { "record decision", "status", LoneSurrogate },
        { "record decision", "id_verifications.0.first_name", LoneSurrogate },
        { "update status", "new_status", LoneSurrogate },
        { "update status", "comment", LoneSurrogate },
        { "update status", "comment", Nul },
        { "add review", "comment", LoneSurrogate },
        { "add review", "comment", Nul },
        { "add review", "new_status", LoneSurrogate },
        { "share", "for_application_id", LoneSurrogate },
        { "share", "unknown_field", LoneSurrogate },
        { "import", "share_token", LoneSurrogate },
        { "import", "share_token", Nul },
        { "import", "vendor_data", LoneSurrogate },
        { "import", "vendor_data", Nul },
        { "import", "workflow_id", LoneSurrogate },
        { "set trust policy", "unknown_field", LoneSurrogate },
    };

    [Theory]
    [MemberData(nameof(StringFields))]
    public async Task BadCharacterIs400AndChangesNothing(string endpoint, string field, string character)
    {
        var target = await ArrangeAsync(endpoint);
        var before = await target.Snapshot();

        var response = await target.Send(Spoil(target.Body, field, Escapes[character]));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await target.Snapshot());
        var clean = await target.Send(Body.Json(target.Body));
        Assert.True(clean.IsSuccessStatusCode, $"{endpoint} without the {character}: {(int)clean.StatusCode} {await clean.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>Surrogates that are not a high one followed at once by a low one, wherever they are in the body.</summary>
    [Theory]
    [InlineData("\"vendor_data\": \"\\udc00\"")]
    [InlineData("\"vendor_data\": \"a\\ud800\"")]
    [InlineData("\"vendor_data\": \"\\ud800a\"")]
    [InlineData("\"vendor_data\": \"\\ud800\\u0041\"")]
    [InlineData("\"vendor_data\": \"\\ud800\\n\"")]
    [InlineData("\"vendor_data\": \"\\udc00\\ud800\"")]
    [InlineData("\"vendor_data\": \"\\ud83d\\ud83d\\ude00\"")]
    [InlineData("\"vendor_data\": \"\\uDBFF\"")]
    [InlineData("\"metadata\": {\"\\ud800\": 1}")]
    [InlineData("\"\\ud800\": \"unknown field name\"")]
    [InlineData("\"metadata\": {\"list\": [1, \"\\udfff\"]}")]
    public async Task EveryLoneSurrogateIs400AndCreatesNothing(string member)
    {
        var owner = await app.CreateApplicationAsync();

        var response = await owner.Client.PostAsync("/v3/session/", Body.Json($"{{\"workflow_id\": \"{owner.KycWorkflowId}\", {member}}}"), Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await app.CountSessionsAsync(owner));
    }

    [Theory]
    [InlineData("\\ud83d\\ude00", "\U0001F600")]
    [InlineData("\\uD83D\\uDE00 and \\u00e9", "\U0001F600 and \u00e9")]
    [InlineData("\\\\ud800", "\\ud800")]
    [InlineData("\\\\\\ud83d\\ude00", "\\\U0001F600")]
    public async Task PairedSurrogatesAndEscapedBackslashesAreKept(string escaped, string expected)
    {
        var owner = await app.CreateApplicationAsync();

        var response = await owner.Client.PostAsync(
            "/v3/session/", Body.Json($"{{\"workflow_id\": \"{owner.KycWorkflowId}\", \"vendor_data\": \"{escaped}\"}}"), Ct);

        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(expected, created.Str("vendor_data"));
        Assert.Equal(expected, (await app.GetDecisionAsync(owner, created.Id("session_id"))).Str("vendor_data"));
    }

    [Fact]
    public async Task JsonDocumentsKeepUPlus0000Exactly()
    {
        var owner = await app.CreateApplicationAsync();
        var created = await owner.Client.PostAsync("/v3/session/", Body.Json($$"""
            {"workflow_id": "{{owner.KycWorkflowId}}", "vendor_data": "nul-docs",
             "metadata": {"note": "a\u0000b", "k\u0000": 1}, "contact_details": {"email": "\u0000"}, "expected_details": {"first_name": "x\u0000"} }
            """), Ct);
        var sessionId = (await created.AssertJsonAsync(HttpStatusCode.Created)).Id("session_id");

        await app.RecordDecisionAsync(owner, sessionId, Decisions.Build("Approved", [new("id_verifications", """[{"first_name": "Ana\u0000Maria"}]""")]));

        var document = await app.GetDecisionAsync(owner, sessionId);
        Assert.Equal("a\0b", document["metadata"]!.Str("note"));
        Assert.Equal(1, document["metadata"]!["k\0"]!.GetValue<int>());
        Assert.Equal("\0", document["contact_details"]!.Str("email"));
        Assert.Equal("x\0", document["expected_details"]!.Str("first_name"));
        Assert.Equal("Ana\0Maria", document["id_verifications"]![0]!.Str("first_name"));
    }

    /// <summary>Reads: U+0000 in a query parameter is 400 on it (PostgreSQL cannot take it as text). In a path, Kestrel refuses it itself.</summary>
    [Theory]
    [InlineData("/v3/sessions/?vendor_data=user%00-1", "vendor_data")]
    [InlineData("/v3/sessions/?status=Approved%00", "status")]
    public async Task UPlus0000InAQueryIs400(string path, string field)
    {
        var owner = await app.CreateApplicationAsync();
        await app.CreateSessionAsync(owner, owner.KycWorkflowId, "user-1");

        var response = await owner.Client.GetAsync(path, Ct);

        await response.AssertValidationProblemAsync(field);
    }

    /// <summary>The body as JSON text with <paramref name="escape"/> appended to the string at <paramref name="path"/> (dots; numbers index arrays), made when absent.</summary>
    private static StringContent Spoil(JsonObject body, string path, string escape)
    {
        JsonNode copy = body.DeepClone();
        var segments = path.Split('.');
        var parent = segments[..^1].Aggregate(copy, (node, segment) => int.TryParse(segment, out var i) ? node[i]! : node[segment]!);
        var last = segments[^1];
        if (int.TryParse(last, out var index))
        {
            parent[index] = parent[index]!.GetValue<string>() + Marker;
        }
        else
        {
            parent[last] = (parent[last]?.GetValue<string>() ?? "") + Marker;
        }

        return Body.Json(copy.ToJsonString().Replace(Marker, escape, StringComparison.Ordinal));
    }

    /// <summary>An endpoint ready to call: how to send a body, a valid body, and what it would change.</summary>
    private sealed record Target(JsonObject Body, Func<StringContent, Task<HttpResponseMessage>> Send, Func<Task<string>> Snapshot);

    private async Task<Target> ArrangeAsync(string endpoint)
    {
        static Task<string> Nothing() => Task.FromResult("");

        switch (endpoint)
        {
            case "create application":
                return new(
                    new JsonObject { ["name"] = "Bank", ["organization_id"] = Guid.NewGuid().ToString() },
                    body => app.Admin.PostAsync("/admin/v1/applications/", body, Ct),
                    Nothing);
            case "create api key":
            {
                var owner = await app.CreateBareApplicationAsync();
                return new(
                    new JsonObject { ["privileges"] = new JsonArray("read:sessions") },
                    body => app.Admin.PostAsync($"/admin/v1/applications/{owner.ApplicationId}/api-keys/", body, Ct),
                    Nothing);
            }

            case "create workflow":
            {
                var owner = await app.CreateBareApplicationAsync();
                return new(
                    new JsonObject
                    {
                        ["workflow_label"] = "KYC",
                        ["features"] = new JsonArray("OCR", new JsonObject { ["feature"] = "LIVENESS", ["config"] = new JsonObject { ["mode"] = "active" } }),
                    },
                    body => owner.Client.PostAsync("/v3/workflows/", body, Ct),
                    () => owner.Client.GetStringAsync("/v3/workflows/", Ct));
            }

            case "create session":
            {
                var owner = await app.CreateApplicationAsync();
                return new(
                    new JsonObject
                    {
                        ["workflow_id"] = owner.KycWorkflowId.ToString(),
                        ["vendor_data"] = "user-1",
                        ["callback"] = "https://example.com/done",
                        ["language"] = "en",
                        ["metadata"] = new JsonObject { ["note"] = "n" },
                        ["contact_details"] = new JsonObject { ["email"] = "a@example.com" },
                        ["expected_details"] = new JsonObject { ["first_name"] = "Ana" },
                    },
                    body => owner.Client.PostAsync("/v3/session/", body, Ct),
                    () => owner.Client.GetStringAsync("/v3/sessions/?session_kind=all", Ct));
            }

            case "record decision":
            {
                var owner = await app.CreateApplicationAsync();
                var sessionId = await app.CreateSessionAsync(owner, owner.KycWorkflowId, "user-1");
                return new(
                    JsonNode.Parse(Decisions.Verified(SessionKind.User))!.AsObject(),
                    body => owner.Client.PutAsync($"/v3/session/{sessionId}/decision/", body, Ct),
                    () => SessionSnapshotAsync(owner, sessionId));
            }

            case "update status":
            case "add review":
            {
                var owner = await app.CreateApplicationAsync();
                var sessionId = await app.CreateVerifiedSessionAsync(owner);
                return new(
                    new JsonObject { ["new_status"] = "Declined", ["comment"] = "checked by hand" },
                    body => endpoint == "update status"
                        ? owner.Client.PatchAsync($"/v3/session/{sessionId}/update-status/", body, Ct)
                        : owner.Client.PostAsync($"/v3/sessions/{sessionId}/reviews/", body, Ct),
                    () => SessionSnapshotAsync(owner, sessionId));
            }

            case "share":
            {
                var owner = await app.CreateApplicationAsync();
                var partner = await app.CreateBareApplicationAsync();
                var sessionId = await app.CreateVerifiedSessionAsync(owner);
                return new(
                    new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString(), ["ttl_in_seconds"] = 600 },
                    body => owner.Client.PostAsync($"/v3/session/{sessionId}/share/", body, Ct),
                    () => SessionSnapshotAsync(owner, sessionId));
            }

            case "import":
            {
                var owner = await app.CreateApplicationAsync();
                var partner = await app.CreateApplicationAsync();
                var sessionId = await app.CreateVerifiedSessionAsync(owner);
                var token = await app.ShareAsync(owner, sessionId, partner.ApplicationId);
                return new(
                    new JsonObject { ["share_token"] = token, ["workflow_id"] = partner.KycWorkflowId.ToString(), ["vendor_data"] = "partner-user-1" },
                    body => partner.Client.PostAsync("/v3/session/import-shared/", body, Ct),
                    async () => await SessionSnapshotAsync(owner, sessionId) + await partner.Client.GetStringAsync("/v3/sessions/?session_kind=all", Ct));
            }

            case "set trust policy":
            {
                var owner = await app.CreateBareApplicationAsync();
                var partner = await app.CreateBareApplicationAsync();
                return new(
                    new JsonObject { ["trust_review"] = true },
                    body => owner.Client.PutAsync($"/v3/trust-policies/{partner.ApplicationId}/", body, Ct),
                    () => owner.Client.GetStringAsync("/v3/trust-policies/", Ct));
            }

            default:
                throw new ArgumentException($"No such endpoint in this test: {endpoint}", nameof(endpoint));
        }
    }

    private static async Task<string> SessionSnapshotAsync(TestApplication owner, Guid sessionId) =>
        await owner.Client.GetStringAsync($"/v3/session/{sessionId}/decision/", Ct) + await owner.Client.GetStringAsync($"/v3/sessions/{sessionId}/reviews/", Ct);
}
