using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OrleansShare.Tests.Fixtures;

/// <summary>Request bodies: JSON written as UTF-8 with non-ASCII characters kept literal.</summary>
public static class Body
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static StringContent Json(JsonNode node) => Json(node.ToJsonString(Relaxed));

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
}

/// <summary>Assertions on answers: status, media type, problem details and their <c>errors</c>.</summary>
public static partial class HttpAssertions
{
    /// <summary>A successful JSON answer with the given status, parsed.</summary>
    public static async Task<JsonObject> AssertJsonAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!.AsObject();
    }

    public static async Task<JsonArray> AssertJsonArrayAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!.AsArray();
    }

    /// <summary>
    /// An error answer: the status, <c>application/problem+json</c>, <c>status</c>, <c>title</c> and a non-empty
    /// <c>detail</c>, and no stack trace.
    /// </summary>
    public static async Task<JsonObject> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal((int)status, problem["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()), $"No title: {body}");
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), $"No detail: {body}");
        Assert.DoesNotContain(" at OrleansShare.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>A 400 whose <c>errors</c> name <paramref name="field"/> with at least one message.</summary>
    public static async Task<JsonObject> AssertValidationProblemAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"] as JsonObject;
        Assert.True(errors is not null, $"No errors in {problem.ToJsonString()}");
        var messages = errors[field] as JsonArray;
        Assert.True(messages is { Count: > 0 }, $"No errors.{field} in {problem.ToJsonString()}");
        Assert.All(messages, m => Assert.False(string.IsNullOrWhiteSpace(m?.GetValue<string>())));
        return problem;
    }

    public static string Detail(this JsonObject problem) => problem["detail"]!.GetValue<string>();

    public static string Str(this JsonNode node, string property)
    {
        var value = node[property];
        Assert.True(value is JsonValue, $"'{property}' is not a string in {node.ToJsonString()}");
        return value.GetValue<string>();
    }

    public static string? NullableStr(this JsonNode node, string property) => node[property]?.GetValue<string>();

    public static long Number(this JsonNode node, string property) => node[property]!.GetValue<long>();

    public static Guid Id(this JsonNode node, string property)
    {
        var text = node.Str(property);
        Assert.Matches(UuidPattern(), text);
        return Guid.ParseExact(text, "D");
    }

    /// <summary>Asserts an ISO 8601 UTC timestamp with milliseconds and <c>Z</c>, and returns it.</summary>
    public static DateTimeOffset Timestamp(this JsonNode node, string property)
    {
        var text = node.Str(property);
        Assert.Matches(TimestampPattern(), text);
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex TimestampPattern();
}
