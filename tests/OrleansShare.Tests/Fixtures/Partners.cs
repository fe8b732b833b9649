using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// Two applications provisioned through a gateway: a source that verifies and shares, a partner that imports.
/// Each has a default KYC workflow and a KYB workflow. Also builds decided sessions and share tokens.
/// </summary>
public sealed record Partners(
    Guid SourceId, string SourceKey, Guid SourceKycWorkflow, Guid SourceKybWorkflow,
    Guid PartnerId, string PartnerKey, Guid PartnerKycWorkflow, Guid PartnerKybWorkflow)
{
    public static readonly string[] KycSections = ["id_verifications", "liveness_checks", "aml_screenings"];
    public static readonly string[] KybSections = ["registry_checks", "key_people_checks", "aml_screenings"];

    public static async Task<Partners> ProvisionAsync(GatewayClient gateway, CancellationToken cancellationToken)
    {
        var (sourceId, sourceKey) = await gateway.CreateApplicationAsync("Source bank " + Guid.NewGuid().ToString("N")[..6], cancellationToken);
        var (partnerId, partnerKey) = await gateway.CreateApplicationAsync("Partner fintech " + Guid.NewGuid().ToString("N")[..6], cancellationToken);
        return new Partners(
            sourceId, sourceKey,
            await gateway.CreateWorkflowAsync(sourceKey, "KYC", ["OCR", "LIVENESS", "AML"], isDefault: true, cancellationToken),
            await gateway.CreateWorkflowAsync(sourceKey, "KYB", ["KYB_REGISTRY", "KYB_KEY_PEOPLE", "AML"], isDefault: true, cancellationToken),
            partnerId, partnerKey,
            await gateway.CreateWorkflowAsync(partnerKey, "KYC import", ["OCR", "LIVENESS"], isDefault: true, cancellationToken),
            await gateway.CreateWorkflowAsync(partnerKey, "KYB import", ["KYB_REGISTRY"], isDefault: true, cancellationToken));
    }

    /// <summary>A source session with a recorded decision (every section distinct per <paramref name="n"/>); returns its id and the decision sent.</summary>
    public async Task<(Guid SessionId, JsonObject Decision)> CreateDecidedSessionAsync(
        GatewayClient gateway, int n, bool business, CancellationToken cancellationToken)
    {
        var created = await gateway.ExpectAsync(201, HttpMethod.Post, "/v3/session/", new JsonObject
        {
            ["workflow_id"] = (business ? SourceKybWorkflow : SourceKycWorkflow).ToString(),
            ["vendor_data"] = $"{(business ? "company" : "user")}-{n}",
            ["metadata"] = new JsonObject { ["batch"] = "pg-tests", ["n"] = n },
            ["contact_details"] = new JsonObject { ["email"] = $"person{n}@example.test" },
        }, SourceKey, cancellationToken: cancellationToken);
        var sessionId = Guid.Parse(created["session_id"]!.GetValue<string>());

        var decision = business ? BusinessDecision(n) : PersonDecision(n);
        await gateway.ExpectAsync(200, HttpMethod.Put, $"/v3/session/{sessionId}/decision/", decision.DeepClone(), SourceKey, cancellationToken: cancellationToken);
        return (sessionId, decision);
    }

    /// <summary>Shares a source session with the partner; returns the share token.</summary>
    public async Task<string> ShareAsync(GatewayClient gateway, Guid sessionId, CancellationToken cancellationToken)
    {
        var shared = await gateway.ExpectAsync(201, HttpMethod.Post, $"/v3/session/{sessionId}/share/",
            new { for_application_id = PartnerId, ttl_in_seconds = 86400 }, SourceKey, cancellationToken: cancellationToken);
        return shared["share_token"]!.GetValue<string>();
    }

    /// <summary>The body of an import by the partner.</summary>
    public static JsonObject ImportBody(string token, bool trustReview = true, string? vendorData = null) => new()
    {
        ["share_token"] = token,
        ["trust_review"] = trustReview,
        ["vendor_data"] = vendorData,
    };

    /// <summary>True when every section of <paramref name="decision"/> reads back deep-equal in <paramref name="document"/>.</summary>
    public static bool SectionsMatch(JsonObject decision, JsonNode document, out string difference)
    {
        foreach (var (name, expected) in decision)
        {
            if (name == "status")
            {
                continue;
            }

            // Compared as read from text on both sides: what was sent, and what came back.
            if (!JsonNode.DeepEquals(JsonNode.Parse(expected?.ToJsonString() ?? "null"), document[name]))
            {
                difference = $"section {name}: expected {expected?.ToJsonString()}, got {document[name]?.ToJsonString() ?? "(missing)"}";
                return false;
            }
        }

        difference = "";
        return true;
    }

    private static JsonObject PersonDecision(int n) => new()
    {
        ["status"] = "Approved",
        ["id_verifications"] = new JsonArray(new JsonObject
        {
            ["status"] = "Approved",
            ["document_type"] = "Identity Card",
            ["document_number"] = $"ID{n:D8}",
            ["first_name"] = "Zoë",
            ["last_name"] = $"Müller-{n}",
            ["date_of_birth"] = "1990-05-17",
            ["expiration_date"] = null,
            ["address"] = new JsonObject { ["street"] = $"{n} Rue de l'Église", ["city"] = "Genève", ["parsed"] = new JsonObject { ["zip"] = "1201", ["lines"] = new JsonArray("a", "b") } },
            ["warnings"] = new JsonArray(),
            ["age"] = 35,
        }),
        ["liveness_checks"] = new JsonArray(new JsonObject
        {
            ["status"] = "Approved",
            ["method"] = "ACTIVE_3D",
            ["score"] = 0.5 + ((n % 50) / 100.0),
            ["age_estimation"] = 34.25,
            ["reference_image"] = null,
        }),
        ["aml_screenings"] = new JsonArray(new JsonObject
        {
            ["status"] = "Approved",
            ["total_hits"] = 0,
            ["hits"] = new JsonArray(),
            ["score"] = 1e-3,
            ["entity"] = n.ToString(CultureInfo.InvariantCulture),
        }),
    };

    private static JsonObject BusinessDecision(int n) => new()
    {
        ["status"] = "APPROVED",
        ["registry_checks"] = new JsonArray(new JsonObject
        {
            ["status"] = "APPROVED",
            ["company_name"] = $"Acme Holdings {n} GmbH",
            ["registration_number"] = $"HRB {100000 + n}",
            ["country"] = "DE",
            ["incorporated_on"] = "2011-03-01",
            ["dissolved_on"] = null,
            ["share_capital"] = 25000.5,
        }),
        ["key_people_checks"] = new JsonArray(
            new JsonObject { ["name"] = "Ada Lovelace", ["role"] = "Director", ["ownership"] = 51, ["pep"] = false },
            new JsonObject { ["name"] = "Charles Babbage", ["role"] = "Shareholder", ["ownership"] = 49, ["pep"] = null }),
        ["aml_screenings"] = new JsonArray(new JsonObject { ["status"] = "APPROVED", ["total_hits"] = 0, ["lists"] = new JsonArray("EU", "UN", "OFAC") }),
    };
}
