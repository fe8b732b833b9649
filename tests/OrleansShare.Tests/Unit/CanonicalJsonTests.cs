using System.Globalization;
using System.Text;
using OrleansShare.Silo.Webhooks;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Unit;

/// <summary>
/// The canonical form webhook bodies are sent and signed in: keys sorted recursively, numbers as JavaScript writes
/// them, raw UTF-8, no spaces. Checked against hand-written expectations and against Node.js's own JSON.stringify.
/// </summary>
public sealed class CanonicalJsonTests
{
    /// <summary>Nested objects in reverse key order, the floats of the issue, non-ASCII and emoji, arrays of objects.</summary>
    private const string EdgeCases = """
        {
          "z_last": {"y": {"b": 2, "a": 1}, "x": [ {"k2": "v", "k1": null}, {"b": [3, 2, 1], "a": {}} ]},
          "score": 89.90,
          "one": 1.0,
          "latitude": 37.4237349802915,
          "name": "Zoë Müller-Española, 東京 😀",
          "escapes": "quote \" backslash \\ slash / tab \t nl \n bell \u0007 del \u007f sep \u2028",
          "numbers": [0, -0.0, 1e21, 1e20, 1.5e-7, 0.000001, 123456789012345678901, -2.50, 1E2, 5e-324, 1.7976931348623157e308],
          "empty": {"a": [], "b": {}},
          "booleans": [true, false, null],
          "10": "ten", "9": "nine", "b": "bee", "01": "zero-one", "A": "upper"
        }
        """;

    private const string EdgeCasesCanonical =
        "{\"9\":\"nine\",\"10\":\"ten\",\"01\":\"zero-one\",\"A\":\"upper\",\"b\":\"bee\",\"booleans\":[true,false,null],"
        + "\"empty\":{\"a\":[],\"b\":{}},"
        + "\"escapes\":\"quote \\\" backslash \\\\ slash / tab \\t nl \\n bell \\u0007 del \u007f sep \u2028\","
        + "\"latitude\":37.4237349802915,\"name\":\"Zoë Müller-Española, 東京 😀\","
        + "\"numbers\":[0,0,1e+21,100000000000000000000,1.5e-7,0.000001,123456789012345680000,-2.5,100,5e-324,1.7976931348623157e+308],"
        + "\"one\":1,\"score\":89.9,"
        + "\"z_last\":{\"x\":[{\"k1\":null,\"k2\":\"v\"},{\"a\":{},\"b\":[3,2,1]}],\"y\":{\"a\":1,\"b\":2}}}";

    [Fact]
    public void EdgeCasesComeOutAsJavaScriptWritesThem()
    {
        var canonical = CanonicalJson.Canonicalize(EdgeCases);

        Assert.Equal(EdgeCasesCanonical, Encoding.UTF8.GetString(canonical));
    }

    [Fact]
    public async Task NodeJsonStringifyOfTheSortedParseGivesTheSameBytes()
    {
        var canonical = CanonicalJson.Canonicalize(EdgeCases);

        var reference = await NodeJson.CanonicalAsync(Encoding.UTF8.GetBytes(EdgeCases));

        Assert.Equal(NodeJson.Text(reference), Encoding.UTF8.GetString(canonical));
        Assert.Equal(reference, canonical);
    }

    /// <summary>Texts copied as they are and texts rewritten: escapes, repeated keys, integers near the exact range.</summary>
    private const string RawAndRewritten = """
        {"k": 1, "s": "a\/b \u00e9 \ud83d\ude00", "k": 2, "\u0062": "escaped key",
         "ints": [0, -0, -7, 123456789012345, 1234567890123456, 12345678901234567890, -9007199254740993, 10.0, 2e3]}
        """;

    [Fact]
    public async Task RawTextIsCopiedOnlyWhereJavaScriptWritesItTheSame()
    {
        var canonical = CanonicalJson.Canonicalize(RawAndRewritten);

        Assert.Equal(
            "{\"b\":\"escaped key\",\"ints\":[0,0,-7,123456789012345,1234567890123456,12345678901234567000,-9007199254740992,10,2000],"
            + "\"k\":2,\"s\":\"a/b é 😀\"}",
            Encoding.UTF8.GetString(canonical));
        Assert.Equal(await NodeJson.CanonicalAsync(Encoding.UTF8.GetBytes(RawAndRewritten)), canonical);
    }

    [Fact]
    public void CanonicalFormIsAFixedPoint()
    {
        var once = CanonicalJson.Canonicalize(EdgeCases);

        Assert.Equal(once, CanonicalJson.Canonicalize(once));
    }

    /// <summary>
    /// Objects the canonicaliser must reorder in every way it can: many keys (sorted by introsort rather than by
    /// insertion), keys that share long prefixes, repeated keys out of order, array-index keys, escaped and non-ASCII
    /// keys among plain ones, and reordered objects nested in reordered objects.
    /// </summary>
    [Fact]
    public async Task ObjectsOfEveryShapeAreSortedAsNodeSortsThem()
    {
        var random = new Random(20261201);
        var keys = Enumerable.Range(0, 80).Select(i => $"key_with_a_long_shared_prefix_{i}")
            .Concat(["b", "a", "10", "2", "0", "01", "\\u0062", "é", "Z", "_", "~", "key_with_a_long_shared_prefix_1"])
            .OrderBy(_ => random.Next())
            .ToList();
        var text = new StringBuilder("{");
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            text.Append(i == 0 ? "" : ", ").Append('"').Append(key).Append("\": ");
            text.Append(i % 7 == 0 ? $"{{\"z\": {i}, \"y\": [{{\"d\": 1, \"c\": 2}}], \"x\": \"{key}\"}}" : $"{i}.50");
        }

        var json = Encoding.UTF8.GetBytes(text.Append('}').ToString());

        var canonical = CanonicalJson.Canonicalize(json);

        Assert.Equal(NodeJson.Text(await NodeJson.CanonicalAsync(json)), Encoding.UTF8.GetString(canonical));
        Assert.Equal(canonical, CanonicalJson.Canonicalize(canonical));
    }

    /// <summary>Numbers of every magnitude and sign, read from text as a sender writes them, come out as Node writes them.</summary>
    [Fact]
    public async Task NumbersOfEveryMagnitudeComeOutAsNodeWritesThem()
    {
        var random = new Random(1201);
        var numbers = Enumerable.Range(0, 400).Select(i =>
        {
            var value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-12, 25));
            return (i % 4) switch
            {
                0 => value.ToString("R", CultureInfo.InvariantCulture),
                1 => value.ToString("E10", CultureInfo.InvariantCulture),
                2 => value.ToString("F3", CultureInfo.InvariantCulture),
                _ => Math.Round(value, 2).ToString("F2", CultureInfo.InvariantCulture),
            };
        });
        var json = Encoding.UTF8.GetBytes("[" + string.Join(",", numbers) + ",1e15,1e16,123456789012345.6,0.00001,0.000001,0.0000001,-0.0,1e400]");

        var canonical = CanonicalJson.Canonicalize(json);

        Assert.Equal(NodeJson.Text(await NodeJson.CanonicalAsync(json)), Encoding.UTF8.GetString(canonical));
    }

    [Theory]
    [InlineData(89.90, "89.9")]
    [InlineData(1.0, "1")]
    [InlineData(37.4237349802915, "37.4237349802915")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(-0.0, "0")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(123e-20, "1.23e-18")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(100.0, "100")]
    [InlineData(-1234.5678, "-1234.5678")]
    public void NumbersAreWrittenAsJavaScriptWritesThem(double value, string expected)
    {
        Assert.Equal(expected, CanonicalJson.FormatNumber(value));
    }

    [Fact]
    public void SignatureIsTheLowercaseHexHmacOfTheCanonicalBytes()
    {
        var body = CanonicalJson.Canonicalize("""{"b": 1.50, "a": "é"}""");

        var signature = WebhookSignature.Sign("secret-key", body);

        var webhook = new ReceivedWebhook(new Dictionary<string, string> { ["X-Signature-V2"] = signature }, body);
        Assert.True(WebhookVerifier.IsSignedBy(webhook, "secret-key"));
        Assert.False(WebhookVerifier.IsSignedBy(webhook, "another-key"));
        Assert.Matches("^[0-9a-f]{64}$", signature);
    }
}
