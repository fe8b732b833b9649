using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// The form a webhook body is sent and signed in (API.md, Webhooks): object keys sorted recursively (by UTF-16 code
/// units, as JavaScript sorts them, array-index keys such as <c>"2"</c> first as JavaScript objects keep them), no whitespace, every number written as JavaScript writes a double (shortest
/// round trip: <c>89.90</c> is <c>89.9</c>, <c>1.0</c> is <c>1</c>), strings escaped only where
/// <c>JSON.stringify</c> escapes them (non-ASCII and emoji stay raw UTF-8). It is exactly what
/// <c>JSON.stringify(sortKeys(JSON.parse(body)))</c> gives, so a receiver that re-canonicalises agrees byte for byte.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The canonical UTF-8 bytes of the JSON text <paramref name="json"/>.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        using var document = JsonDocument.ParseValue(ref reader);
        return Canonicalize(document.RootElement);
    }

    public static byte[] Canonicalize(string json) => Canonicalize(Encoding.UTF8.GetBytes(json));

    public static byte[] Canonicalize(JsonElement element)
    {
        var text = new StringBuilder();
        Write(element, text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Write(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // A repeated key keeps its last value, as JSON.parse does.
                var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    members[member.Name] = member.Value;
                }

                text.Append('{');
                var first = true;
                foreach (var key in members.Keys.Order(JavaScriptKeyOrder.Instance))
                {
                    if (!first)
                    {
                        text.Append(',');
                    }

                    first = false;
                    WriteString(key, text);
                    text.Append(':');
                    Write(members[key], text);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        text.Append(',');
                    }

                    firstItem = false;
                    Write(item, text);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, text);
                break;
            case JsonValueKind.Number:
                text.Append(FormatNumber(double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)));
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    /// <summary>
    /// The order in which JavaScript writes the keys of an object whose keys were sorted: keys that are array indices
    /// (<c>"0"</c> to <c>"4294967294"</c>, no leading zero) first, by number, as every JavaScript object enumerates
    /// them; then the others by UTF-16 code units, as <c>Array.prototype.sort</c> orders strings.
    /// </summary>
    private sealed class JavaScriptKeyOrder : IComparer<string>
    {
        public static readonly JavaScriptKeyOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xIndex = ArrayIndex(x!);
            var yIndex = ArrayIndex(y!);
            return (xIndex, yIndex) switch
            {
                ({ } a, { } b) => a.CompareTo(b),
                ({ }, null) => -1,
                (null, { }) => 1,
                _ => string.CompareOrdinal(x, y),
            };
        }

        private static uint? ArrayIndex(string key) =>
            key.Length is > 0 and <= 10 && (key == "0" || key[0] != '0') && key.All(char.IsAsciiDigit)
                && uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index != uint.MaxValue
                ? index
                : null;
    }

    /// <summary>A string as <c>JSON.stringify</c> quotes it.</summary>
    private static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                default:
                    var pairedHigh = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
                    var pairedLow = char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]);
                    if (c < 0x20 || (char.IsSurrogate(c) && !pairedHigh && !pairedLow))
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }

    /// <summary>
    /// A number as JavaScript's Number::toString writes it: the shortest digits that read back as the same double
    /// (what .NET's round-trip format also finds), placed by ECMAScript's rules: plain notation from 1e-6 up to below
    /// 1e21, exponent notation (<c>1e+21</c>, <c>1.5e-7</c>) outside; <c>-0</c> is <c>0</c>; a number too large for a
    /// double is <c>null</c>, as <c>JSON.stringify(Infinity)</c> writes it.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return "null";
        }

        if (value == 0)
        {
            return "0";
        }

        var roundTrip = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = roundTrip[0] == '-';
        if (negative)
        {
            roundTrip = roundTrip[1..];
        }

        var exponent = 0;
        var e = roundTrip.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..e];
        }

        var dot = roundTrip.IndexOf('.', StringComparison.Ordinal);
        var integerPart = dot < 0 ? roundTrip : roundTrip[..dot];
        var fraction = dot < 0 ? "" : roundTrip[(dot + 1)..];

        // value = 0.<digits> x 10^n
        var digits = integerPart + fraction;
        var n = integerPart.Length + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits[leadingZeros..].TrimEnd('0');
        n -= leadingZeros;
        var k = digits.Length;

        string text;
        if (k <= n && n <= 21)
        {
            text = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text = digits[..n] + "." + digits[n..];
        }
        else if (-6 < n && n <= 0)
        {
            text = "0." + new string('0', -n) + digits;
        }
        else
        {
            var shown = n - 1;
            text = (k == 1 ? digits : digits[..1] + "." + digits[1..])
                + "e" + (shown < 0 ? "-" : "+") + Math.Abs(shown).ToString(CultureInfo.InvariantCulture);
        }

        return negative ? "-" + text : text;
    }
}
