using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using OrleansShare.Gateway.Problems;

namespace OrleansShare.Gateway.Contracts;

/// <summary>Reads a JSON object body under a size limit; anything else becomes a 400 or 413 before any grain is called.</summary>
internal static class RequestBody
{
    public const long DefaultLimit = 1024 * 1024;
    public const long DecisionLimit = 16 * 1024 * 1024;

    private const int ReadChunk = 16 * 1024;

    /// <summary>
    /// Reads the body and lets <paramref name="parse"/> take its fields. Any field it finds invalid makes the answer a
    /// 400 naming every invalid field, and the parsed value is then discarded.
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(
        HttpRequest request, Func<BodyFields, T> parse, long limit = DefaultLimit, CancellationToken cancellationToken = default)
    {
        var (document, problem) = await ReadObjectAsync(request, limit, cancellationToken);
        if (document is null)
        {
            return (default, problem);
        }

        using (document)
        {
            var fields = new BodyFields(document.RootElement);
            var value = parse(fields);
            return fields.HasErrors ? (default, ApiProblems.Validation(fields.Errors)) : (value, null);
        }
    }

    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadObjectAsync(
        HttpRequest request, long limit = DefaultLimit, CancellationToken cancellationToken = default)
    {
        if (request.ContentLength > limit)
        {
            return (null, ApiProblems.PayloadTooLarge(limit));
        }

        // Sized by Content-Length up to a chunk (beyond that it grows as the bytes arrive, not as the header claims), read
        // through a pooled chunk: a request allocates no read buffer of its own.
        using var buffer = new MemoryStream((int)Math.Min(request.ContentLength ?? 0, ReadChunk));
        var chunk = ArrayPool<byte>.Shared.Rent(ReadChunk);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk.AsMemory(0, ReadChunk), cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (null, ApiProblems.PayloadTooLarge(limit));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiProblems.PayloadTooLarge(limit));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (buffer.Length == 0)
        {
            return (null, ApiProblems.BadRequest("The request body is empty; send a JSON object."));
        }

        // JsonDocument accepts invalid UTF-8 inside strings and only fails when a string is read; refuse it up front.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            return (null, ApiProblems.BadRequest("The request body is not valid UTF-8; send JSON encoded as UTF-8."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.BadRequest($"The request body is not valid JSON: {ex.Message}"));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, ApiProblems.BadRequest("The request body must be a JSON object."));
        }

        // JsonDocument also accepts an escaped lone surrogate, which no string can hold; refuse it wherever it is.
        if (HasLoneSurrogateEscape(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            document.Dispose();
            return (null, ApiProblems.BadRequest(
                "The request body has a lone surrogate escape such as \"\\ud800\"; JSON strings must be Unicode text (a character beyond U+FFFF is a high and a low surrogate escape together)."));
        }

        return (document, null);
    }

    /// <summary>
    /// Whether valid JSON text escapes a UTF-16 surrogate that is not half of a pair: a high one not followed at once by
    /// a low one, or a low one not preceded by a high one. Raw surrogates cannot occur: the text is valid UTF-8.
    /// </summary>
    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        const int EscapeLength = 6; // \uXXXX
        var highPending = false;
        var at = json.IndexOf((byte)'\\');
        while (at >= 0)
        {
            // In valid JSON a backslash only starts an escape inside a string, and \u always has four hex digits.
            int next;
            if (json[at + 1] == (byte)'u' && Utf8Parser.TryParse(json.Slice(at + 2, 4), out ushort unit, out _, 'X'))
            {
                var c = (char)unit;
                if (highPending != char.IsLowSurrogate(c))
                {
                    return true;
                }

                highPending = char.IsHighSurrogate(c);
                next = at + EscapeLength;
            }
            else if (highPending)
            {
                return true;
            }
            else
            {
                next = at + 2;
            }

            if (highPending && (next >= json.Length || json[next] != (byte)'\\'))
            {
                return true;
            }

            var following = json[next..].IndexOf((byte)'\\');
            at = following < 0 ? -1 : next + following;
        }

        return false;
    }
}
