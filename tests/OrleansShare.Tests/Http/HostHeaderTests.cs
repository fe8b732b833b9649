using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Issue 12, item 9: the address in session URLs (<c>url</c> on create, <c>session_url</c> elsewhere) and paging links is <c>Gateway__PublicBaseUrl</c> when set, never
/// the Host header; <c>AllowedHosts</c> refuses other hosts; <c>X-Forwarded-*</c> apply only when the operator enables
/// them (<c>Gateway__ForwardedHeaders</c>), and only from the proxies <c>Gateway__KnownProxies</c>/<c>KnownNetworks</c> trust.
/// </summary>
[Trait("Layer", "Http")]
public sealed class HostHeaderTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;
    private static readonly IPAddress Stranger = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress ProxyInNetwork = IPAddress.Parse("203.0.113.50");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string, string)[] ForwardedTo(string host) =>
        [("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", host), ("X-Forwarded-For", "192.0.2.10")];

    [Fact]
    public async Task PagingLinksAndSessionUrlsUseThePublicBaseUrlWhateverTheHostHeader()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string>
        {
            ["Gateway:PublicBaseUrl"] = "https://kyc.example.com/api/",
            ["Gateway:ForwardedHeaders"] = "true",
        });
        await app.InitializeAsync();
        var application = await app.CreateApplicationAsync();
        using var hostile = app.CreateClient(application.ApiKey);
        hostile.DefaultRequestHeaders.Host = "evil.example";
        hostile.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil-forwarded.example");
        hostile.DefaultRequestHeaders.Add("X-Forwarded-Proto", "http");

        var created = new List<JsonObject>();
        foreach (var vendor in new[] { "alice", "bob", "carol" })
        {
            var response = await hostile.PostAsync("/v3/session/", Body.Json(new JsonObject { ["vendor_data"] = vendor }), Ct);
            created.Add(await response.AssertJsonAsync(HttpStatusCode.Created));
        }

        var sessions = await (await hostile.GetAsync("/v3/sessions/?limit=1&offset=1", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var users = await (await hostile.GetAsync("/v3/users/?limit=1", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var decision = await (await hostile.GetAsync($"/v3/session/{created[0].Id("session_id")}/decision/", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        const string Base = "https://kyc.example.com/api/";
        Assert.All(created, c => Assert.Equal($"{Base}session/{c.Id("session_id")}", c.Str("url")));
        Assert.StartsWith($"{Base}v3/sessions/?", sessions.Str("next"), StringComparison.Ordinal);
        Assert.StartsWith($"{Base}v3/sessions/?", sessions.Str("previous"), StringComparison.Ordinal);
        Assert.All(sessions["results"]!.AsArray(), r => Assert.StartsWith($"{Base}session/", r!.Str("session_url"), StringComparison.Ordinal));
        Assert.StartsWith($"{Base}v3/users/?", users.Str("next"), StringComparison.Ordinal);
        Assert.Equal($"{Base}session/{created[0].Id("session_id")}", decision.Str("session_url"));
    }

    [Fact]
    public async Task AHostOutsideAllowedHostsIsRefusedAndChangesNothing()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["AllowedHosts"] = "localhost;api.example.com;*.kyc.example.org" });
        await app.InitializeAsync();
        var application = await app.CreateApplicationAsync();

        using var hostile = ClientFor(app, application, "evil.example");
        var refused = await hostile.PostAsync("/v3/session/", Body.Json(new JsonObject { ["vendor_data"] = "alice" }), Ct);
        var refusedList = await hostile.GetAsync("/v3/sessions/", Ct);
        var probe = await hostile.GetAsync("/health/live", Ct);
        using var allowed = ClientFor(app, application, "api.example.com:8443");
        var accepted = await allowed.PostAsync("/v3/session/", Body.Json(new JsonObject { ["vendor_data"] = "bob" }), Ct);
        using var subdomain = ClientFor(app, application, "eu.kyc.example.org");
        var list = await subdomain.GetAsync("/v3/sessions/", Ct);

        await refused.AssertProblemAsync(HttpStatusCode.BadRequest);
        await refusedList.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        var session = await accepted.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal($"http://api.example.com:8443/session/{session.Id("session_id")}", session.Str("url"));
        var page = await list.AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, page["count"]!.GetValue<long>());
        Assert.Equal("bob", page["results"]![0]!.Str("vendor_data"));
    }

    [Fact]
    public async Task ForwardedHeadersAreIgnoredByDefault()
    {
        await using var app = new GatewayApp();
        await app.InitializeAsync();
        var application = await SeedTwoSessionsAsync(app);

        var (status, page) = await ListAsProxyAsync(app, application, "gateway.internal", Loopback, ForwardedTo("public.example.com"));

        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.StartsWith("http://gateway.internal/v3/sessions/?", page.Str("next"), StringComparison.Ordinal);
        Assert.StartsWith("http://gateway.internal/session/", page["results"]![0]!.Str("session_url"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardedHeadersAreHonouredFromLoopbackWhenEnabled()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string> { ["Gateway:ForwardedHeaders"] = "true" });
        await app.InitializeAsync();
        var application = await SeedTwoSessionsAsync(app);

        var (_, fromProxy) = await ListAsProxyAsync(app, application, "gateway.internal", Loopback, ForwardedTo("public.example.com"));
        var (_, fromStranger) = await ListAsProxyAsync(app, application, "gateway.internal", Stranger, ForwardedTo("public.example.com"));

        Assert.StartsWith("https://public.example.com/v3/sessions/?", fromProxy.Str("next"), StringComparison.Ordinal);
        Assert.StartsWith("https://public.example.com/session/", fromProxy["results"]![0]!.Str("session_url"), StringComparison.Ordinal);
        Assert.StartsWith("http://gateway.internal/v3/sessions/?", fromStranger.Str("next"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfiguredProxiesReplaceLoopbackAndTheForwardedHostMustBeAllowed()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string>
        {
            ["Gateway:ForwardedHeaders"] = "true",
            ["Gateway:KnownProxies"] = Stranger.ToString(),
            ["Gateway:KnownNetworks"] = "203.0.113.0/24",
            ["AllowedHosts"] = "localhost;gateway.internal;public.example.com",
        });
        await app.InitializeAsync();
        var application = await SeedTwoSessionsAsync(app);

        var (_, fromProxy) = await ListAsProxyAsync(app, application, "gateway.internal", Stranger, ForwardedTo("public.example.com"));
        var (_, fromNetwork) = await ListAsProxyAsync(app, application, "gateway.internal", ProxyInNetwork, ForwardedTo("public.example.com"));
        var (_, fromLoopback) = await ListAsProxyAsync(app, application, "gateway.internal", Loopback, ForwardedTo("public.example.com"));
        var (forwardedElsewhere, problem) = await ListAsProxyAsync(app, application, "gateway.internal", Stranger, ForwardedTo("evil.example"));

        Assert.StartsWith("https://public.example.com/v3/sessions/?", fromProxy.Str("next"), StringComparison.Ordinal);
        Assert.StartsWith("https://public.example.com/v3/sessions/?", fromNetwork.Str("next"), StringComparison.Ordinal);
        Assert.StartsWith("http://gateway.internal/v3/sessions/?", fromLoopback.Str("next"), StringComparison.Ordinal);
        Assert.Equal(StatusCodes.Status400BadRequest, forwardedElsewhere);
        Assert.Equal(StatusCodes.Status400BadRequest, problem["status"]!.GetValue<int>());
    }

    private static HttpClient ClientFor(GatewayApp app, TestApplication application, string host)
    {
        var client = app.CreateClient(application.ApiKey);
        client.DefaultRequestHeaders.Host = host;
        return client;
    }

    private static async Task<TestApplication> SeedTwoSessionsAsync(GatewayApp app)
    {
        var application = await app.CreateApplicationAsync();
        await app.CreateSessionAsync(application, application.KycWorkflowId, "alice");
        await app.CreateSessionAsync(application, application.KycWorkflowId, "bob");
        return application;
    }

    /// <summary>
    /// <c>GET /v3/sessions/?limit=1</c> as it arrives from <paramref name="remote"/> naming <paramref name="host"/>, with
    /// <paramref name="headers"/>: the answer's status and JSON body.
    /// </summary>
    private static async Task<(int Status, JsonObject Body)> ListAsProxyAsync(
        GatewayApp app, TestApplication application, string host, IPAddress remote, (string Name, string Value)[] headers)
    {
        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = "/v3/sessions/";
            c.Request.QueryString = new QueryString("?limit=1");
            c.Request.Host = new HostString(host);
            c.Request.Headers["x-api-key"] = application.ApiKey;
            foreach (var (name, value) in headers)
            {
                c.Request.Headers[name] = value;
            }

            c.Connection.RemoteIpAddress = remote;
        }, Ct);

        using var reader = new StreamReader(context.Response.Body);
        var body = await reader.ReadToEndAsync(Ct);
        return (context.Response.StatusCode, JsonNode.Parse(body)!.AsObject());
    }
}
