using System.Buffers;
using System.Globalization;
using System.Text;
using System.Runtime.InteropServices;
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
        var output = new ArrayBufferWriter<byte>(4096);
        Write(element, output);
        return output.WrittenSpan.ToArray();
    }

    private static void Write(JsonElement element, ArrayBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        output.Write(","u8);
                    }

                    firstItem = false;
                    Write(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                // Raw text without an escape is already what JSON.stringify writes: the parser refused raw control
                // characters and invalid UTF-8 (so lone surrogates), and everything else stays raw.
                var raw = JsonMarshal.GetRawUtf8Value(element);
                if (raw.IndexOf((byte)'\\') < 0)
                {
                    output.Write(raw);
                }
                else
                {
                    WriteString(element.GetString()!, output);
                }

                break;
            case JsonValueKind.Number:
                var number = JsonMarshal.GetRawUtf8Value(element);
                if (IsPlainInteger(number))
                {
                    output.Write(number);
                }
                else
                {
                    WriteAscii(FormatNumber(double.Parse(Encoding.UTF8.GetString(number), NumberStyles.Float, CultureInfo.InvariantCulture)), output);
                }

                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    private static void WriteObject(JsonElement element, ArrayBufferWriter<byte> output)
    {
        var members = new List<(string Key, uint? Index, int Position, JsonElement Value)>();
        foreach (var member in element.EnumerateObject())
        {
            members.Add((member.Name, ArrayIndex(member.Name), members.Count, member.Value));
        }

        members.Sort(static (x, y) =>
        {
            var byKey = CompareKeys(x.Key, x.Index, y.Key, y.Index);
            return byKey != 0 ? byKey : x.Position.CompareTo(y.Position);
        });

        output.Write("{"u8);
        var first = true;
        for (var i = 0; i < members.Count; i++)
        {
            // A repeated key keeps its last value, as JSON.parse does.
            if (i + 1 < members.Count && string.Equals(members[i].Key, members[i + 1].Key, StringComparison.Ordinal))
            {
                continue;
            }

            if (!first)
            {
                output.Write(","u8);
            }

            first = false;
            WriteString(members[i].Key, output);
            output.Write(":"u8);
            Write(members[i].Value, output);
        }

        output.Write("}"u8);
    }

    /// <summary>
    /// JavaScript's order of own keys once sorted: array-index keys (<c>"0"</c> to <c>"4294967294"</c>, no leading zero)
    /// first by value, then every other key by UTF-16 code units.
    /// </summary>
    private static int CompareKeys(string x, uint? xIndex, string y, uint? yIndex) =>
        (xIndex, yIndex) switch
        {
            ({ } a, { } b) => a.CompareTo(b),
            ({ }, null) => -1,
            (null, { }) => 1,
            _ => string.CompareOrdinal(x, y),
        };

    private static uint? ArrayIndex(string key) =>
        key.Length is > 0 and <= 10 && (key == "0" || key[0] != '0') && !key.AsSpan().ContainsAnyExceptInRange('0', '9')
            && uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index != uint.MaxValue
            ? index
            : null;

    /// <summary>
    /// Whether a JSON number's text is already how JavaScript writes its value: an optional minus and at most 15 digits
    /// without a leading zero (every such integer is a double exactly), and not <c>-0</c>.
    /// </summary>
    private static bool IsPlainInteger(ReadOnlySpan<byte> number)
    {
        var digits = number.Length > 0 && number[0] == (byte)'-' ? number[1..] : number;
        return digits.Length is > 0 and <= 15 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && (digits[0] != (byte)'0' || (digits.Length == 1 && digits.Length == number.Length));
    }

    /// <summary>What <c>JSON.stringify</c> may escape in a string: quote, backslash, controls, and surrogates (lone ones).</summary>
    private static readonly SearchValues<char> MayNeedEscape = SearchValues.Create(
        "\"\\" + string.Concat(Enumerable.Range(0, 0x20).Select(c => (char)c)) + string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)));

    private static void WriteString(string value, ArrayBufferWriter<byte> output)
    {
        if (!value.AsSpan().ContainsAny(MayNeedEscape))
        {
            output.Write("\""u8);
            output.Advance(Encoding.UTF8.GetBytes(value, output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length))));
            output.Write("\""u8);
            return;
        }

        var text = new StringBuilder(value.Length + 8);
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
        var escaped = text.ToString();
        output.Advance(Encoding.UTF8.GetBytes(escaped, output.GetSpan(Encoding.UTF8.GetMaxByteCount(escaped.Length))));
    }

    private static void WriteAscii(string text, ArrayBufferWriter<byte> output) =>
        output.Advance(Encoding.ASCII.GetBytes(text, output.GetSpan(text.Length)));

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
