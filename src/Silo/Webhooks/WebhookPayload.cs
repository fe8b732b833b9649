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
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("webhook_type", eventType);
            writer.WriteString("session_id", session.SessionId);
            writer.WriteString("session_kind", session.SessionKind.ToWire());
            writer.WriteString("status", status);
            WriteNullable(writer, "vendor_data", session.VendorData);
            WriteNullable(writer, "workflow_id", session.WorkflowId?.ToString());
            WriteNullable(writer, "shared_from_session", session.SharedFromSession?.ToString());
            writer.WriteString("created_at", Time(session.CreatedAt));
            writer.WriteNumber("timestamp", timestamp);
            writer.WritePropertyName("decision");
            WriteDocument(writer, session, publicBaseUrl);
            writer.WriteEndObject();
        }

        return CanonicalJson.Canonicalize(buffer.WrittenSpan);
    }

    /// <summary>The session document, as <c>GET /v3/session/{id}/decision/</c> answers it.</summary>
    private static void WriteDocument(Utf8JsonWriter writer, SessionView session, string publicBaseUrl)
    {
        writer.WriteStartObject();
        writer.WriteString("session_id", session.SessionId);
        writer.WriteNumber("session_number", session.SessionNumber);
        writer.WriteString("session_kind", session.SessionKind.ToWire());
        writer.WriteString("session_url", $"{publicBaseUrl.TrimEnd('/')}/session/{session.SessionId}");
        writer.WriteString("status", session.Status);
        WriteNullable(writer, "workflow_id", session.WorkflowId?.ToString());
        writer.WriteStartArray("features");
        foreach (var feature in session.Features)
        {
            writer.WriteStringValue(feature);
        }

        writer.WriteEndArray();
        WriteNullable(writer, "vendor_data", session.VendorData);
        WriteRaw(writer, "metadata", session.Metadata);
        WriteRaw(writer, "expected_details", session.ExpectedDetails);
        WriteRaw(writer, "contact_details", session.ContactDetails);
        WriteNullable(writer, "callback", session.Callback);
        WriteNullable(writer, "shared_from_session", session.SharedFromSession?.ToString());
        writer.WriteString("created_at", Time(session.CreatedAt));
        foreach (var section in Sections.For(session.SessionKind))
        {
            WriteRaw(writer, section, session.Sections.GetValueOrDefault(section) ?? "[]");
        }

        writer.WriteStartArray("reviews");
        foreach (var entry in session.Activity.Where(e => e.Action != ActivityActions.Created && (e.NewStatus is not null || e.Comment is not null)))
        {
            writer.WriteStartObject();
            WriteNullable(writer, "user", entry.User);
            WriteNullable(writer, "new_status", entry.NewStatus);
            WriteNullable(writer, "comment", entry.Comment);
            writer.WriteString("created_at", Time(entry.CreatedAt));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
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
