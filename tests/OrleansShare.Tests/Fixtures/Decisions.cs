using System.Text;
using OrleansShare.Grains.Common;

namespace OrleansShare.Tests.Fixtures;

/// <summary>Decision bodies for <c>PUT /v3/session/{id}/decision/</c>, written as JSON text so every number stays as written.</summary>
public static class Decisions
{
    /// <summary>A realistic verified decision: KYC Approved with OCR, liveness, face match and AML; KYB APPROVED with registry, UBOs, documents and AML.</summary>
    public static string Verified(SessionKind kind, string? status = null) => kind == SessionKind.Business
        ? Build(status ?? "APPROVED", SimpleKyb)
        : Build(status ?? "Approved", SimpleKyc);

    /// <summary>A decision body: <c>status</c> then each section's JSON text.</summary>
    public static string Build(string status, IEnumerable<KeyValuePair<string, string>> sections)
    {
        var body = new StringBuilder();
        body.Append("{\"status\":\"").Append(status).Append('"');
        foreach (var (name, json) in sections)
        {
            body.Append(",\"").Append(name).Append("\":").Append(json);
        }

        return body.Append('}').ToString();
    }

    public static readonly IReadOnlyList<KeyValuePair<string, string>> SimpleKyc =
    [
        new("id_verifications", """
            [{"status": "Approved", "document_type": "Identity Card", "document_number": "CAA000000", "issuing_state": "ESP",
              "first_name": "Carmen", "last_name": "Española Española", "date_of_birth": "1980-01-01", "age": 45}]
            """),
        new("liveness_checks", """[{"status": "Approved", "method": "ACTIVE_3D", "score": 89.92, "age_estimation": 24.3}]"""),
        new("face_matches", """[{"status": "Approved", "score": 95.1, "source_image": "https://example.com/source.jpg"}]"""),
        new("aml_screenings", """[{"status": "Approved", "total_hits": 0, "score": 0, "hits": []}]"""),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, string>> SimpleKyb =
    [
        new("registry_checks", """[{"status": "APPROVED", "company_name": "Acme Iberia S.L.", "registration_number": "B12345678", "country": "ESP"}]"""),
        new("key_people_checks", """[{"status": "APPROVED", "full_name": "Carmen Española", "role": "UBO", "ownership_percentage": 60.5}]"""),
        new("document_verifications", """[{"status": "APPROVED", "document_type": "CERTIFICATE_OF_INCORPORATION"}]"""),
        new("aml_screenings", """[{"status": "APPROVED", "total_hits": 0, "hits": []}]"""),
    ];

    /// <summary>All ten KYC sections, with nesting, floats, tiny and huge numbers, nulls, empty containers and non-ASCII text.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> RichKyc =
    [
        new("id_verifications", """
            [
              {
                "status": "Approved",
                "document_type": "Identity Card",
                "document_number": "CAA000000",
                "personal_number": "99999999R",
                "date_of_birth": "1980-01-01",
                "age": 45,
                "first_name": "Carmen",
                "last_name": "Española Ñúñez",
                "full_name": "Carmen Española Ñúñez",
                "alias": "李小龍",
                "nickname": "🦊 Zorro ✨",
                "extra_fields": {"dl_categories": [], "blood_group": null},
                "parsed_address": {
                  "id": "7c6280a2-fb6a-4258-93d5-2ac987cbc6ba",
                  "street_2": null,
                  "postal_code": "28822",
                  "raw_results": {
                    "geometry": {
                      "location": {"lat": 37.4222804, "lng": -122.0843428},
                      "location_type": "ROOFTOP",
                      "viewport": {
                        "northeast": {"lat": 37.4237349802915, "lng": -122.083183169709},
                        "southwest": {"lat": 37.4210370197085, "lng": -122.085881130292}
                      }
                    }
                  }
                },
                "extra_files": [],
                "metadata_blob": {},
                "warnings": [
                  {"risk": "QR_NOT_DETECTED", "additional_data": null, "log_type": "information", "short_description": "QR not detected"}
                ]
              },
              {"status": "Declined", "document_type": "Passport", "warnings": [], "score": 0.0}
            ]
            """),
        new("nfc_verifications", """
            [{"status": "Approved", "chip_data": {"dg1": "P<ESPESPANOLA<<CARMEN", "dg2_sha256": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"},
              "authenticity": {"sod_integrity": true, "dg_integrity": true, "active_authentication": null}, "certificate_serial": 123456789012345678}]
            """),
        new("liveness_checks", """
            [{"status": "Approved", "method": "ACTIVE_3D", "score": 89.92, "age_estimation": 24.3, "reference_image": "https://example.com/reference.jpg",
              "false_acceptance_rate": 1e-7, "frames": 9007199254740993, "huge": 123456789012345678901234567890, "negative_zero": -0.0,
              "exponent": 6.02214076E+23, "warnings": [{"risk": "LOW_LIVENESS_SCORE", "additional_data": null}]}]
            """),
        new("face_matches", """[{"status": "In Review", "score": 65.43, "source_image": "https://example.com/source-image.jpg", "target_image": null, "warnings": []}]"""),
        new("aml_screenings", """
            [{"status": "Approved", "total_hits": 1, "score": 12.5, "entity_type": "person",
              "hits": [{"id": "hit-1", "match": 0.12345678901234568, "caption": "Carmen Española", "datasets": ["PEP", "SANCTIONS"],
                        "properties": {"name": ["Carmen Española", "カルメン"], "birthDate": ["1980"], "notes": []}, "review": null}]}]
            """),
        new("ip_analyses", """
            [{"status": "Approved", "ip_address": "203.0.113.7", "ip_country": "Spain", "ip_city": "Móstoles",
              "latitude": 40.3223, "longitude": -3.8649, "is_vpn_or_tor": false, "isp": null, "device": {"brand": "Apple", "os": "iOS 18.1"}}]
            """),
        new("database_validations", """
            [{"status": "Approved", "match_type": "full", "issuing_state": "ESP",
              "validations": {"full_name": "full_match", "date_of_birth": "full_match", "document_number": null}, "screened_data": {}}]
            """),
        new("proof_of_address", """
            [{"status": "Approved", "document_type": "UTILITY_BILL", "issuer": "Iberdrola", "issue_date": "2026-10-01",
              "poa_address": "Calle de Alcalá 1, 28014 Madrid", "poa_formatted_address": "Calle de Alcalá, 1, 28014 Madrid, España",
              "poa_parsed_address": {"city": "Madrid", "country": "ESP", "lat": 40.4183, "lng": -3.7028}, "warnings": []}]
            """),
        new("phone_verifications", """[{"status": "Approved", "full_number": "+34600000000", "carrier": {"name": "Movistar", "type": "mobile"}, "is_disposable": false, "verification_attempts": 1}]"""),
        new("email_verifications", """[{"status": "Approved", "email": "carmen.ñúñez@example.com", "is_breached": false, "breaches": [], "verification_attempts": 2}]"""),
    ];

    /// <summary>All seven KYB sections, with several UBOs and nested registry data.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> RichKyb =
    [
        new("registry_checks", """
            [{"status": "APPROVED", "company_name": "Acme Ibérica S.L.", "registration_number": "B12345678", "country": "ESP",
              "incorporation_date": "2011-03-15", "share_capital": {"amount": 3000.00, "currency": "EUR"},
              "registered_address": {"street": "Paseo de la Castellana 259", "city": "Madrid", "postal_code": "28046", "lat": 40.4775, "lng": -3.6883},
              "industry_codes": [{"scheme": "CNAE", "code": "6201"}, {"scheme": "NACE", "code": "62.01"}],
              "officers": [], "raw_registry_response": {"source": "BORME", "fetched_at": "2026-11-20T09:00:00Z", "pages": null}}]
            """),
        new("key_people_checks", """
            [
              {"status": "APPROVED", "full_name": "Carmen Española Ñúñez", "role": "UBO", "ownership_percentage": 37.5, "is_pep": false,
               "id_verification": {"document_type": "Identity Card", "document_number": "CAA000000"}, "aml": {"total_hits": 0, "hits": []}},
              {"status": "APPROVED", "full_name": "李小龍", "role": "UBO", "ownership_percentage": 37.5, "is_pep": false,
               "id_verification": {"document_type": "Passport", "document_number": "E12345678"}, "aml": {"total_hits": 0, "hits": []}},
              {"status": "IN_REVIEW", "full_name": "Zoë Ørsted 🌍", "role": "UBO", "ownership_percentage": 25.0, "is_pep": true,
               "id_verification": null, "aml": {"total_hits": 1, "hits": [{"caption": "Zoë Ørsted", "match": 0.91, "datasets": ["PEP"]}]}},
              {"status": "APPROVED", "full_name": "Jean-Luc Dubois", "role": "DIRECTOR", "ownership_percentage": 0, "is_pep": false,
               "id_verification": {}, "aml": {"total_hits": 0, "hits": []}}
            ]
            """),
        new("document_verifications", """
            [{"status": "APPROVED", "document_type": "CERTIFICATE_OF_INCORPORATION", "file_url": "https://example.com/coi.pdf", "pages": 3,
              "extracted": {"company_name": "Acme Ibérica S.L.", "registration_number": "B12345678"}, "warnings": []},
             {"status": "APPROVED", "document_type": "SHAREHOLDER_REGISTER", "file_url": "https://example.com/sr.pdf", "pages": 1, "extracted": null, "warnings": []}]
            """),
        new("aml_screenings", """[{"status": "APPROVED", "entity_type": "company", "total_hits": 0, "score": 1e-7, "hits": []}]"""),
        new("questionnaires", """
            [{"status": "APPROVED", "questionnaire_id": "q-aml-2026", "answers": [{"question": "¿Opera con criptoactivos?", "answer": "No"},
              {"question": "Expected monthly volume (EUR)", "answer": 250000}, {"question": "Countries", "answer": ["ESP", "PRT"]}]}]
            """),
        new("phone_verifications", """[{"status": "APPROVED", "full_number": "+34910000000", "carrier": null}]"""),
        new("email_verifications", """[{"status": "APPROVED", "email": "compliance@acme.example", "breaches": []}]"""),
    ];
}
