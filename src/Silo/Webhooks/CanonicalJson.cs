using System.Buffers;
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
    /// <remarks>
    /// One pass over the text's tokens, writing as it reads: strings without an escape and plain keys are copied as
    /// they are, and an object whose keys did not arrive in order is reordered in place once its last member is
    /// written (a canonical body's objects never are).
    /// </remarks>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        var output = new Output(json.Length + 64);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read())
            {
                throw new JsonException("The text holds no JSON value.");
            }

            WriteValue(ref reader, output);
            if (reader.Read())
            {
                throw new JsonException("The text holds more than one JSON value.");
            }

            return output.Written.ToArray();
        }
        finally
        {
            output.Dispose();
        }
    }

    public static byte[] Canonicalize(string json) => Canonicalize(Encoding.UTF8.GetBytes(json));

    private static void WriteValue(ref Utf8JsonReader reader, Output output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, output);
                break;
            case JsonTokenType.StartArray:
                output.Write((byte)'[');
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        output.Write((byte)',');
                    }

                    first = false;
                    WriteValue(ref reader, output);
                }

                output.Write((byte)']');
                break;
            case JsonTokenType.String:
                // Text without an escape is already what JSON.stringify writes: the reader refused raw control
                // characters and invalid UTF-8 (so lone surrogates), and everything else stays raw.
                if (reader.ValueIsEscaped)
                {
                    WriteString(reader.GetString()!, output);
                }
                else
                {
                    output.Write((byte)'"');
                    output.Write(reader.ValueSpan);
                    output.Write((byte)'"');
                }

                break;
            case JsonTokenType.Number:
                WriteNumber(reader.ValueSpan, output);
                break;
            case JsonTokenType.True:
                output.Write("true"u8);
                break;
            case JsonTokenType.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    /// <summary>
    /// An object: its members are written as they arrive, each noted with where its key and value lie in the output;
    /// when a key did not follow the one before in JavaScript's order, the members are sorted and rewritten in place
    /// (stably, so of a repeated key the last value is kept, as <c>JSON.parse</c> keeps it).
    /// </summary>
    private static void WriteObject(ref Utf8JsonReader reader, Output output)
    {
        var start = output.Length;
        output.Write((byte)'{');
        var members = new Members();
        try
        {
            var inOrder = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (members.Count > 0)
                {
                    output.Write((byte)',');
                }

                var keyStart = output.Length;
                string? name = null;
                var raw = reader.ValueSpan;
                if (!reader.ValueIsEscaped && !raw.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E))
                {
                    output.Write((byte)'"');
                    output.Write(raw);
                    output.Write((byte)'"');
                }
                else
                {
                    name = reader.GetString()!;
                    WriteString(name, output);
                }

                var member = new Member(keyStart, output.Length, name is null ? ArrayIndex(raw) : ArrayIndex(name), name, members.Count);
                output.Write((byte)':');
                reader.Read();
                WriteValue(ref reader, output);
                member.End = output.Length;
                if (inOrder && members.Count > 0 && new MemberOrder(output.Buffer).Compare(members.Last, member) >= 0)
                {
                    inOrder = false;
                }

                members.Add(member);
            }

            if (!inOrder)
            {
                Reorder(start + 1, members.AsSpan(), output);
            }
        }
        finally
        {
            members.Dispose();
        }

        output.Write((byte)'}');
    }

    /// <summary>Rewrites the members written from <paramref name="from"/> on in JavaScript's order of their keys.</summary>
    private static void Reorder(int from, Span<Member> members, Output output)
    {
        var length = output.Length - from;
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            output.Written[from..].CopyTo(copy);
            for (var i = 0; i < members.Length; i++)
            {
                members[i].Shift(-from);
            }

            var order = new MemberOrder(copy);
            Sort(members, order);
            output.Truncate(from);
            var first = true;
            for (var i = 0; i < members.Length; i++)
            {
                if (i + 1 < members.Length && order.SameKey(members[i], members[i + 1]))
                {
                    continue;
                }

                if (!first)
                {
                    output.Write((byte)',');
                }

                first = false;
                output.Write(copy.AsSpan(members[i].KeyStart, members[i].End - members[i].KeyStart));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Sorts <paramref name="members"/>: by insertion when few (as an object's members mostly are), else by introsort.</summary>
    private static void Sort(Span<Member> members, MemberOrder order)
    {
        if (members.Length > 32)
        {
            members.Sort(order);
            return;
        }

        for (var i = 1; i < members.Length; i++)
        {
            var member = members[i];
            var j = i - 1;
            while (j >= 0 && order.Compare(members[j], member) > 0)
            {
                members[j + 1] = members[j];
                j--;
            }

            members[j + 1] = member;
        }
    }

    /// <summary>
    /// A member written to the output: its key's bytes (quotes included) from <see cref="KeyStart"/> to
    /// <see cref="KeyEnd"/>, its value up to <see cref="End"/>; <see cref="Name"/> is the decoded key when the key was
    /// not plain (escaped or not printable ASCII), so not comparable by its bytes.
    /// </summary>
    private struct Member(int keyStart, int keyEnd, uint? index, string? name, int position)
    {
        public int KeyStart = keyStart;
        public int KeyEnd = keyEnd;
        public int End;
        public readonly uint? Index = index;
        public readonly string? Name = name;
        public readonly int Position = position;

        public void Shift(int by)
        {
            KeyStart += by;
            KeyEnd += by;
            End += by;
        }
    }

    /// <summary>
    /// JavaScript's order of own keys once sorted: array-index keys (<c>"0"</c> to <c>"4294967294"</c>, no leading zero)
    /// first by value, then every other key by UTF-16 code units (a plain key's bytes sort the same way); then the
    /// order of arrival.
    /// </summary>
    private readonly struct MemberOrder(byte[] written) : IComparer<Member>
    {
        public int Compare(Member x, Member y)
        {
            var byKey = CompareKeys(x, y);
            return byKey != 0 ? byKey : x.Position.CompareTo(y.Position);
        }

        public bool SameKey(Member x, Member y) => CompareKeys(x, y) == 0;

        private int CompareKeys(Member x, Member y) =>
            (x.Index, y.Index) switch
            {
                ({ } a, { } b) => a.CompareTo(b),
                ({ }, null) => -1,
                (null, { }) => 1,
                _ when x.Name is null && y.Name is null => Key(x).SequenceCompareTo(Key(y)),
                _ => string.CompareOrdinal(x.Name ?? Encoding.ASCII.GetString(Key(x)), y.Name ?? Encoding.ASCII.GetString(Key(y))),
            };

        private ReadOnlySpan<byte> Key(Member member) => written.AsSpan(member.KeyStart + 1, member.KeyEnd - member.KeyStart - 2);
    }

    /// <summary>The members of one object, in pooled storage.</summary>
    private struct Members : IDisposable
    {
        private Member[]? _items;

        public int Count { get; private set; }

        public readonly Member Last => _items![Count - 1];

        public void Add(Member member)
        {
            if (_items is null || Count == _items.Length)
            {
                var grown = ArrayPool<Member>.Shared.Rent(Math.Max(16, Count * 2));
                _items?.AsSpan(0, Count).CopyTo(grown);
                Return();
                _items = grown;
            }

            _items[Count++] = member;
        }

        public readonly Span<Member> AsSpan() => _items.AsSpan(0, Count);

        public void Dispose() => Return();

        private readonly void Return()
        {
            if (_items is not null)
            {
                ArrayPool<Member>.Shared.Return(_items, clearArray: true);
            }
        }
    }

    /// <summary>A growable byte buffer in pooled storage, whose written bytes can be reordered.</summary>
    private sealed class Output(int capacity) : IDisposable
    {
        public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }

        public Span<byte> Written => Buffer.AsSpan(0, Length);

        public void Write(byte value)
        {
            Reserve(1)[0] = value;
            Length++;
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Reserve(bytes.Length));
            Length += bytes.Length;
        }

        /// <summary>Room for at least <paramref name="size"/> more bytes, written by the caller and then <see cref="Advance"/>d.</summary>
        public Span<byte> Reserve(int size)
        {
            if (Buffer.Length - Length < size)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Length + size));
                Written.CopyTo(grown);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = grown;
            }

            return Buffer.AsSpan(Length);
        }

        public void Advance(int count) => Length += count;

        public void Truncate(int length) => Length = length;

        public void Dispose() => ArrayPool<byte>.Shared.Return(Buffer);
    }

    /// <summary>
    /// A JSON number as JavaScript writes its value: the text itself when it is a plain integer, else .NET's shortest
    /// round trip when that is in plain notation (the same digits and point as JavaScript's), else <see cref="FormatNumber"/>.
    /// </summary>
    private static void WriteNumber(ReadOnlySpan<byte> number, Output output)
    {
        if (IsPlainInteger(number))
        {
            output.Write(number);
            return;
        }

        var value = double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
        var formatted = output.Reserve(32);
        if (value != 0 && double.IsFinite(value) && value.TryFormat(formatted, out var written, "R", CultureInfo.InvariantCulture)
            && !formatted[..written].Contains((byte)'E'))
        {
            output.Advance(written);
        }
        else
        {
            WriteAscii(FormatNumber(value), output);
        }
    }

    private static uint? ArrayIndex(ReadOnlySpan<byte> key) =>
        key.Length is > 0 and <= 10 && (key is [(byte)'0'] || key[0] != (byte)'0') && !key.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index != uint.MaxValue
            ? index
            : null;

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

    private static void WriteString(string value, Output output)
    {
        if (!value.AsSpan().ContainsAny(MayNeedEscape))
        {
            output.Write((byte)'"');
            output.Advance(Encoding.UTF8.GetBytes(value, output.Reserve(Encoding.UTF8.GetMaxByteCount(value.Length))));
            output.Write((byte)'"');
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
        output.Advance(Encoding.UTF8.GetBytes(escaped, output.Reserve(Encoding.UTF8.GetMaxByteCount(escaped.Length))));
    }

    private static void WriteAscii(string text, Output output) =>
        output.Advance(Encoding.ASCII.GetBytes(text, output.Reserve(text.Length)));

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
