using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansShare.Gateway.Contracts;

/// <summary>JSON text written into a response as it is stored: never parsed and re-serialised.</summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed record RawJson(string Text)
{
    public static readonly RawJson EmptyArray = new("[]");

    public static RawJson? From(string? text) => text is null ? null : new RawJson(text);
}

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(document.RootElement.GetRawText());
    }

    // The text was validated as JSON when it came in.
    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Text, skipInputValidation: true);
}
