using System.Text.Json;

namespace OrleansShare.Gateway.Contracts;

/// <summary>
/// Typed access to the fields of a JSON object body, collecting one message per invalid field.
/// Absent and <c>null</c> are the same; unknown fields are ignored.
/// </summary>
internal sealed class BodyFields(JsonElement root)
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    public JsonElement Root => root;

    public Dictionary<string, string[]> Errors => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public void Fail(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public bool TryGet(string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>
    /// A field that clients spell several ways (API.md, Share): its value under whichever of <paramref name="spellings"/>
    /// is present, <c>null</c> included; none present: no value. Two spellings with different values fail on both.
    /// </summary>
    public JsonElement? OneOf(params ReadOnlySpan<string> spellings)
    {
        (string Name, JsonElement Value)? found = null;
        foreach (var spelling in spellings)
        {
            if (!root.TryGetProperty(spelling, out var value))
            {
                continue;
            }

            if (found is not { } first)
            {
                found = (spelling, value);
            }
            else if (!JsonElement.DeepEquals(first.Value, value))
            {
                Fail(first.Name, $"Conflicts with {spelling}: send one of them, or the same value in both.");
                Fail(spelling, $"Conflicts with {first.Name}: send one of them, or the same value in both.");
            }
        }

        return found?.Value;
    }

    public string? String(string name, bool required = false, int maxLength = int.MaxValue) =>
        String(name, Find(name), required, maxLength);

    /// <summary>A plain string: JSON text, without U+0000 (API.md, Conventions, strings), of at most <paramref name="maxLength"/> characters.</summary>
    public string? String(string field, JsonElement? given, bool required = false, int maxLength = int.MaxValue)
    {
        if (given is not { ValueKind: not JsonValueKind.Null } value)
        {
            if (required)
            {
                Fail(field, "This field is required.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(field, "Must be a string.");
            return null;
        }

        var text = value.GetString()!;
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            Fail(field, "Must not contain U+0000 (NUL).");
            return null;
        }

        if (text.Length > maxLength)
        {
            Fail(field, $"Must be at most {maxLength} characters.");
            return null;
        }

        if (required && text.Length == 0)
        {
            Fail(field, "Must not be empty.");
            return null;
        }

        return text;
    }

    public Guid? Uuid(string name, bool required = false) => Uuid(name, Find(name), required);

    public Guid? Uuid(string field, JsonElement? given, bool required = false)
    {
        var text = String(field, given, required);
        if (text is null)
        {
            return null;
        }

        if (!Ids.TryParse(text, out var id))
        {
            Fail(field, "Must be a UUID such as 11111111-2222-3333-4444-555555555555.");
            return null;
        }

        return id;
    }

    public bool? Boolean(string name, bool required = false)
    {
        if (!TryGet(name, out var value))
        {
            if (required)
            {
                Fail(name, "This field is required.");
            }

            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Fail(name, "Must be true or false.");
            return null;
        }

        return value.GetBoolean();
    }

    public long? Integer(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Fail(name, "Must be an integer.");
            return null;
        }

        return number;
    }

    /// <summary>A JSON object kept as its text.</summary>
    public string? ObjectText(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(name, "Must be a JSON object.");
            return null;
        }

        return value.GetRawText();
    }

    private JsonElement? Find(string name) => root.TryGetProperty(name, out var value) ? value : null;
}
