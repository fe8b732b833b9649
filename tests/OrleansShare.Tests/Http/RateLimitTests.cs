using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Gateway.Auth;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>A gateway with small limits (API.md's names), whose grain-state reads are counted.</summary>
public sealed class LimitedGateway : IAsyncLifetime
{
    public const int PermitsPerSecond = 1;
    public const int Burst = 5;
    public const int UnauthenticatedPerSecond = 5;

    public GatewayApp App { get; } = GatewayApp.WithStorageFaults(new Dictionary<string, string>
    {
        ["RateLimiting:PermitsPerSecond"] = $"{PermitsPerSecond}",
        ["RateLimiting:Burst"] = $"{Burst}",
        ["RateLimiting:UnauthenticatedPerSecond"] = $"{UnauthenticatedPerSecond}",
    });

    public async ValueTask InitializeAsync() => await App.InitializeAsync();

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Issue 12, item 7 (API.md, Rate limits): a token bucket per API key, one per client address for requests without a
/// valid key (and <c>/admin/v1</c> without the operator key); 429 problem+json with <c>Retry-After</c>; other keys and
/// addresses untouched; a flood of random keys refused before it reaches storage. Each test uses its own addresses
/// and keys, so the buckets of one test never meet another's.
/// </summary>
[Trait("Layer", "Http")]
public sealed class RateLimitTests(LimitedGateway gateway) : IClassFixture<LimitedGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GatewayApp App => gateway.App;

    [Fact]
    public async Task AKeyOverItsBurstGets429WithRetryAfterAndAnotherKeyIsUntouched()
    {
        var busy = await App.CreateBareApplicationAsync();
        var quiet = await App.CreateBareApplicationAsync();
        var address = IPAddress.Parse("192.0.2.10");

        var clock = Stopwatch.StartNew();
        var answers = new List<Answer>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add(await SendAsync(address, "/v3/workflows/", apiKey: busy.ApiKey));
        }

        var elapsed = clock.Elapsed;
        var others = new List<Answer>();
        for (var i = 0; i < LimitedGateway.Burst; i++)
        {
            others.Add(await SendAsync(address, "/v3/workflows/", apiKey: quiet.ApiKey));
        }

        var allowed = answers.Count(a => a.Status == StatusCodes.Status200OK);
        Assert.All(answers, a => Assert.Contains(a.Status, new[] { StatusCodes.Status200OK, StatusCodes.Status429TooManyRequests }));
        Assert.InRange(allowed, LimitedGateway.Burst, MostAllowed(LimitedGateway.Burst, LimitedGateway.PermitsPerSecond, elapsed));
        var refused = answers.First(a => a.Status == StatusCodes.Status429TooManyRequests);
        AssertTooManyRequests(refused);
        Assert.All(others, a => Assert.Equal(StatusCodes.Status200OK, a.Status));
    }

    [Fact]
    public async Task FailedAuthenticationIsLimitedPerAddressAndNeverAValidKey()
    {
        var cache = App.Services.GetRequiredService<ApiKeyCache>();
        await cache.Serving.WaitAsync(Ct);
        var application = await App.CreateBareApplicationAsync();
        Assert.Equal(HttpStatusCode.OK, (await application.Client.GetAsync("/v3/workflows/", Ct)).StatusCode);
        var flooding = IPAddress.Parse("198.51.100.20");
        var elsewhere = IPAddress.Parse("198.51.100.21");

        var clock = Stopwatch.StartNew();
        var answers = new List<Answer>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add(await SendAsync(flooding, "/v3/sessions/", apiKey: i % 2 == 0 ? RandomKey() : null));
        }

        var elapsed = clock.Elapsed;
        var wrongAdminKey = await SendAsync(flooding, "/admin/v1/applications/", adminKey: "osk_admin_not_the_operator_key_0000000000");
        var rightAdminKey = await SendAsync(flooding, $"/admin/v1/applications/{application.ApplicationId}/", adminKey: GatewayApp.AdminKey);
        var validKey = await SendAsync(flooding, "/v3/workflows/", apiKey: application.ApiKey);
        var probe = await SendAsync(flooding, "/health/live");
        var otherAddress = await SendAsync(elsewhere, "/v3/sessions/", apiKey: RandomKey());

        var unauthorized = answers.Count(a => a.Status == StatusCodes.Status401Unauthorized);
        Assert.All(answers, a => Assert.Contains(a.Status, new[] { StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests }));
        Assert.InRange(unauthorized, LimitedGateway.UnauthenticatedPerSecond,
            MostAllowed(LimitedGateway.UnauthenticatedPerSecond, LimitedGateway.UnauthenticatedPerSecond, elapsed));
        AssertTooManyRequests(answers.Last());
        AssertTooManyRequests(wrongAdminKey);
        Assert.Equal(StatusCodes.Status200OK, rightAdminKey.Status);
        Assert.Equal(StatusCodes.Status200OK, validKey.Status);
        Assert.Equal(StatusCodes.Status200OK, probe.Status);
        Assert.Equal(StatusCodes.Status401Unauthorized, otherAddress.Status);
    }

    [Fact]
    public async Task AFloodOfRandomKeysCostsNoStorageReadEach()
    {
        var faults = App.StorageFaults!;
        var address = IPAddress.Parse("203.0.113.30");
        var readsBefore = faults.ReadsOf(StateNames.ApiKey);

        var clock = Stopwatch.StartNew();
        var answers = new List<Answer>();
        for (var round = 0; round < 10; round++)
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SendAsync(address, "/v3/sessions/", apiKey: RandomKey()))));
        }

        var elapsed = clock.Elapsed;
        var reads = faults.ReadsOf(StateNames.ApiKey) - readsBefore;

        var unauthorized = answers.Count(a => a.Status == StatusCodes.Status401Unauthorized);
        Assert.Equal(200, unauthorized + answers.Count(a => a.Status == StatusCodes.Status429TooManyRequests));
        Assert.True(reads <= unauthorized, $"{reads} storage reads for {unauthorized} keys looked up");
        Assert.InRange(reads, 1, MostAllowed(LimitedGateway.UnauthenticatedPerSecond, LimitedGateway.UnauthenticatedPerSecond, elapsed));
    }

    [Fact]
    public async Task AnUnknownKeyIsRememberedSoThatRepeatingItCostsNoLookup()
    {
        var cache = App.Services.GetRequiredService<ApiKeyCache>();
        var key = RandomKey();
        var grainKey = ApiKeyHash.GrainKey(key);
        Assert.False(cache.TryAnswerFromMemory(grainKey, out _));

        var first = await SendAsync(IPAddress.Parse("203.0.113.31"), "/v3/sessions/", apiKey: key);

        Assert.Equal(StatusCodes.Status401Unauthorized, first.Status);
        Assert.True(cache.TryAnswerFromMemory(grainKey, out var identity));
        Assert.Null(identity);
    }

    [Fact]
    public async Task DisabledLimitsNeverAnswer429()
    {
        await using var app = GatewayApp.WithSettings(new Dictionary<string, string>
        {
            ["RateLimiting:Enabled"] = "false",
            ["RateLimiting:PermitsPerSecond"] = "1",
            ["RateLimiting:Burst"] = "1",
            ["RateLimiting:UnauthenticatedPerSecond"] = "1",
        });
        await app.InitializeAsync();
        var application = await app.CreateBareApplicationAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await application.Client.GetAsync("/v3/workflows/", Ct)).StatusCode);
            statuses.Add((await app.Anonymous.GetAsync("/v3/workflows/", Ct)).StatusCode);
        }

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized));
    }

    /// <summary>The most a bucket of <paramref name="burst"/> refilled at <paramref name="perSecond"/> allows in <paramref name="elapsed"/>.</summary>
    private static int MostAllowed(int burst, int perSecond, TimeSpan elapsed) =>
        burst + (int)Math.Ceiling(elapsed.TotalSeconds * perSecond) + 1;

    private static string RandomKey() => "osk_" + Guid.NewGuid().ToString("N");

    private static void AssertTooManyRequests(Answer answer)
    {
        Assert.True(answer.Status == StatusCodes.Status429TooManyRequests, $"Expected 429, got {answer.Status}: {answer.Body}");
        Assert.Equal("application/problem+json", answer.ContentType?.Split(';')[0]);
        Assert.True(int.TryParse(answer.RetryAfter, out var seconds) && seconds >= 1, $"Retry-After: '{answer.RetryAfter}'");
        var problem = JsonNode.Parse(answer.Body)!.AsObject();
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
    }

    /// <summary>
    /// A client's first requests arrive at once with a valid key this gateway has not cached yet: they share one lookup,
    /// so none is refused, and the address keeps its budget for keys that are not valid.
    /// </summary>
    [Fact]
    public async Task AValidKeysFirstBurstSharesOneLookupAndLeavesTheAddressItsBudget()
    {
        var cache = App.Services.GetRequiredService<ApiKeyCache>();
        await cache.Serving.WaitAsync(Ct);
        var application = await App.CreateBareApplicationAsync();
        var address = IPAddress.Parse("203.0.113.40");

        var burst = await Task.WhenAll(Enumerable.Range(0, LimitedGateway.Burst)
            .Select(_ => SendAsync(address, "/v3/workflows/", apiKey: application.ApiKey)));
        var unknown = new List<Answer>();
        for (var i = 0; i < LimitedGateway.UnauthenticatedPerSecond - 2; i++)
        {
            unknown.Add(await SendAsync(address, "/v3/workflows/", apiKey: "sk_unknown_" + Guid.NewGuid().ToString("N")));
        }

        Assert.All(burst, a => Assert.Equal(StatusCodes.Status200OK, a.Status));
        Assert.All(unknown, a => Assert.Equal(StatusCodes.Status401Unauthorized, a.Status));
    }

    /// <summary>A GET as it arrives from <paramref name="remote"/>, with the keys given.</summary>
    private async Task<Answer> SendAsync(IPAddress remote, string path, string? apiKey = null, string? adminKey = null)
    {
        var context = await App.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = path;
            if (apiKey is not null)
            {
                c.Request.Headers["x-api-key"] = apiKey;
            }

            if (adminKey is not null)
            {
                c.Request.Headers["x-admin-key"] = adminKey;
            }

            c.Connection.RemoteIpAddress = remote;
        }, Ct);

        using var reader = new StreamReader(context.Response.Body);
        var body = await reader.ReadToEndAsync(Ct);
        return new Answer(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers.RetryAfter.ToString(), body);
    }

    private sealed record Answer(int Status, string? ContentType, string RetryAfter, string Body);
}
