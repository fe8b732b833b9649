using System.Globalization;

namespace OrleansShare.Gateway.Contracts;

/// <summary>Typed query-string parameters, collecting one message per invalid parameter.</summary>
internal sealed class QueryFields(IQueryCollection query)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    public Dictionary<string, string[]> Errors => _errors;

    public void Fail(string name, string message) => _errors[name] = [message];

    /// <summary>The parameter's text; U+0000 (which no stored value holds, and PostgreSQL text cannot) fails it.</summary>
    public string? String(string name)
    {
        if (!query.TryGetValue(name, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        var text = value.ToString();
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            Fail(name, "Must not contain U+0000 (NUL).");
            return null;
        }

        return text;
    }

    public Guid? Uuid(string name)
    {
        var text = String(name);
        if (text is null)
        {
            return null;
        }

        if (!Ids.TryParse(text, out var id))
        {
            Fail(name, "Must be a UUID.");
            return null;
        }

        return id;
    }

    public DateTimeOffset? Date(string name)
    {
        var text = String(name);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            Fail(name, "Must be an ISO 8601 date or time, such as 2026-11-22 or 2026-11-22T10:15:00Z.");
            return null;
        }

        return date;
    }

    public (int Limit, int Offset) Paging(int defaultLimit = DefaultLimit)
    {
        var limit = defaultLimit;
        var offset = 0;
        if (String("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            Fail("limit", $"Must be an integer from 1 to {MaxLimit}.");
            limit = defaultLimit;
        }

        if (String("offset") is { } offsetText && !int.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            Fail("offset", "Must be a non-negative integer.");
            offset = 0;
        }

        return (limit, offset);
    }
}
