using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// HTTP to one gateway process: the operator API (<c>x-admin-key</c>) and the Didit API (<c>x-api-key</c>).
/// <see cref="SendAsync"/> never throws for an outage: no answer is status 0 with the error as text.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _adminKey;

    public GatewayClient(Uri baseAddress, string adminKey)
    {
        _adminKey = adminKey;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(90),
        };
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<ApiResponse> SendAsync(
        HttpMethod method, string path, object? body = null, string? apiKey = null, bool admin = false, CancellationToken cancellationToken = default) =>
        SendContentAsync(method, path, body is null ? null : new StringContent(ToJson(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            apiKey, admin, cancellationToken);

    /// <summary>Sends <paramref name="content"/> as it is (e.g. a body streamed in parts).</summary>
    public async Task<ApiResponse> SendContentAsync(
        HttpMethod method, string path, HttpContent? content, string? apiKey = null, bool admin = false, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (admin)
        {
            request.Headers.Add("x-admin-key", _adminKey);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ApiResponse((int)response.StatusCode, Parse(text), text, response.Headers.RetryAfter?.ToString());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return new ApiResponse(0, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Sends and requires <paramref name="expected"/>; anything else fails with the answer in the message.</summary>
    public async Task<JsonNode> ExpectAsync(
        int expected, HttpMethod method, string path, object? body = null, string? apiKey = null, bool admin = false, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(method, path, body, apiKey, admin, cancellationToken);
        if (answer.Status != expected)
        {
            throw new InvalidOperationException($"{method} {BaseAddress}{path.TrimStart('/')}: expected {expected}, got {answer.Status} {answer.Text}");
        }

        return answer.Body ?? new JsonObject();
    }

    /// <summary>Creates an application (operator API) and returns its id and first API key.</summary>
    public async Task<(Guid Id, string ApiKey)> CreateApplicationAsync(string name, CancellationToken cancellationToken)
    {
        var created = await ExpectAsync(201, HttpMethod.Post, "/admin/v1/applications/", new { name }, admin: true, cancellationToken: cancellationToken);
        return (Guid.Parse(created["application_id"]!.GetValue<string>()), created["api_key"]!.GetValue<string>());
    }

    /// <summary>Creates a workflow; a <c>KYB_*</c> feature makes it a business workflow.</summary>
    public async Task<Guid> CreateWorkflowAsync(string apiKey, string label, string[] features, bool isDefault, CancellationToken cancellationToken)
    {
        var created = await ExpectAsync(201, HttpMethod.Post, "/v3/workflows/",
            new { workflow_label = label, features, is_default = isDefault }, apiKey, cancellationToken: cancellationToken);
        return Guid.Parse(created["workflow_id"]!.GetValue<string>());
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A request body as JSON text: strings as they are, nodes and objects serialized.</summary>
    public static string ToJson(object body) => body switch
    {
        string s => s,
        JsonNode node => node.ToJsonString(),
        _ => JsonSerializer.Serialize(body),
    };

    private static JsonNode? Parse(string content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
