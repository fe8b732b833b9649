using System.Buffers;
using System.Globalization;
using System.Text.Json;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// The body of a delivery (API.md, Webhooks): <c>webhook_type</c>, the session's ids, kind and <c>vendor_data</c>, the
/// event's <c>status</c>, <c>created_at</c>, <c>timestamp</c> (unix seconds of the attempt, as <c>X-Timestamp</c>) and
/// <c>decision</c>, the session document as it is when the attempt is made, in its canonical form.
/// </summary>
public static class WebhookPayload
{
    private const string TimePattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static byte[] Build(string eventType, string status, SessionView session, string publicBaseUrl, long timestamp)
    {
        // Every object this writes has its keys in canonical order already, so canonicalising it only sorts the keys
        // inside the stored documents and rewrites their numbers.
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            // The session's own fields are written as the document writes them.
            writer.WriteStartObject();
            WriteSessionMember(writer, "created_at", session, publicBaseUrl);
            writer.WritePropertyName("decision");
            WriteDocument(writer, session, publicBaseUrl);
            WriteSessionMember(writer, "session_id", session, publicBaseUrl);
            WriteSessionMember(writer, "session_kind", session, publicBaseUrl);
            WriteSessionMember(writer, "shared_from_session", session, publicBaseUrl);
            writer.WriteString("status", status);
            writer.WriteNumber("timestamp", timestamp);
            WriteSessionMember(writer, "vendor_data", session, publicBaseUrl);
            writer.WriteString("webhook_type", eventType);
            WriteSessionMember(writer, "workflow_id", session, publicBaseUrl);
            writer.WriteEndObject();
        }

        return CanonicalJson.Canonicalize(buffer.WrittenSpan);
    }

    /// <summary>The keys of a session document that are not sections.</summary>
    private static readonly string[] DocumentKeys =
    [
        "session_id", "session_number", "session_kind", "session_url", "status", "workflow_id", "features", "vendor_data", "metadata",
        "expected_details", "contact_details", "callback", "shared_from_session", "created_at", "reviews",
    ];

    /// <summary>A user session document's keys and a business one's, each in canonical order (all are plain ASCII).</summary>
    private static readonly string[] UserDocumentKeys = [.. DocumentKeys.Concat(Sections.User).Order(StringComparer.Ordinal)];

    private static readonly string[] BusinessDocumentKeys = [.. DocumentKeys.Concat(Sections.Business).Order(StringComparer.Ordinal)];

    /// <summary>The session document, as <c>GET /v3/session/{id}/decision/</c> answers it.</summary>
    private static void WriteDocument(Utf8JsonWriter writer, SessionView session, string publicBaseUrl)
    {
        writer.WriteStartObject();
        foreach (var key in session.SessionKind == SessionKind.Business ? BusinessDocumentKeys : UserDocumentKeys)
        {
            WriteSessionMember(writer, key, session, publicBaseUrl);
        }

        writer.WriteEndObject();
    }

    /// <summary>One member of the session document, by its key: the fixed fields, else the section of that name.</summary>
    private static void WriteSessionMember(Utf8JsonWriter writer, string key, SessionView session, string publicBaseUrl)
    {
        switch (key)
        {
            case "session_id":
                writer.WriteString(key, session.SessionId);
                break;
            case "session_number":
                writer.WriteNumber(key, session.SessionNumber);
                break;
            case "session_kind":
                writer.WriteString(key, session.SessionKind.ToWire());
                break;
            case "session_url":
                writer.WriteString(key, $"{publicBaseUrl.TrimEnd('/')}/session/{session.SessionId}");
                break;
            case "status":
                writer.WriteString(key, session.Status);
                break;
            case "workflow_id":
                WriteNullable(writer, key, session.WorkflowId?.ToString());
                break;
            case "features":
                writer.WriteStartArray(key);
                foreach (var feature in session.Features)
                {
                    writer.WriteStringValue(feature);
                }

                writer.WriteEndArray();
                break;
            case "vendor_data":
                WriteNullable(writer, key, session.VendorData);
                break;
            case "metadata":
                WriteRaw(writer, key, session.Metadata);
                break;
            case "expected_details":
                WriteRaw(writer, key, session.ExpectedDetails);
                break;
            case "contact_details":
                WriteRaw(writer, key, session.ContactDetails);
                break;
            case "callback":
                WriteNullable(writer, key, session.Callback);
                break;
            case "shared_from_session":
                WriteNullable(writer, key, session.SharedFromSession?.ToString());
                break;
            case "created_at":
                writer.WriteString(key, Time(session.CreatedAt));
                break;
            case "reviews":
                WriteReviews(writer, session);
                break;
            default:
                WriteRaw(writer, key, session.Sections.GetValueOrDefault(key) ?? "[]");
                break;
        }
    }

    private static void WriteReviews(Utf8JsonWriter writer, SessionView session)
    {
        writer.WriteStartArray("reviews");
        foreach (var entry in session.Activity.Where(e => e.Action != ActivityActions.Created && (e.NewStatus is not null || e.Comment is not null)))
        {
            writer.WriteStartObject();
            WriteNullable(writer, "comment", entry.Comment);
            writer.WriteString("created_at", Time(entry.CreatedAt));
            WriteNullable(writer, "new_status", entry.NewStatus);
            WriteNullable(writer, "user", entry.User);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>JSON text stored as it arrived (validated then): written as it is, and canonicalised with the rest.</summary>
    private static void WriteRaw(Utf8JsonWriter writer, string name, string? json)
    {
        writer.WritePropertyName(name);
        if (json is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString(TimePattern, CultureInfo.InvariantCulture);
}
