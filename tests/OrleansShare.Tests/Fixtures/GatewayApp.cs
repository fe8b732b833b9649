using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansShare.Gateway.Hosting;
using OrleansShare.Grains.Common;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// The gateway in embedded mode (in-process silo, localhost clustering, SQLite in a temp data directory), with
/// a known operator key and a known share-token signing key so that tests can forge tokens. Seeds only through
/// the HTTP API. Each instance takes its own free silo and gateway ports, so several can run at once.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Seeding helpers read as calls on the gateway under test.")]
public sealed partial class GatewayApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "osk_admin_test_5b7e0a7c2f4d4f8e9b1c";
    public const string SigningKeyId = "test-kid";

    /// <summary>The HS256 key the gateway signs and verifies share tokens with (32 bytes).</summary>
    public static readonly byte[] SigningKey = SHA256.HashData(Encoding.UTF8.GetBytes("orleansshare http tests signing key"));

    private readonly bool _ownsDataDirectory;
    private readonly bool _configureSecrets;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<string> _console = new();
    private readonly TaskCompletionSource<string> _generatedAdminKey = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _siloPort = TestPorts.Next();
    private readonly int _gatewayPort = TestPorts.Next();
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);

    public GatewayApp()
        : this(NewDataDirectory(), ownsDataDirectory: true, configureSecrets: true)
    {
    }

    private GatewayApp(string dataDirectory, bool ownsDataDirectory, bool configureSecrets)
    {
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        _configureSecrets = configureSecrets;
    }

    /// <summary>The SQLite database and generated secrets of this gateway.</summary>
    public string DataDirectory { get; }

    /// <summary>A client that sends the operator key.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>A client that sends no key at all.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>A gateway on an existing data directory (a restart); the caller deletes the directory.</summary>
    public static GatewayApp OnDataDirectory(string dataDirectory) => new(dataDirectory, ownsDataDirectory: false, configureSecrets: true);

    /// <summary>A gateway on an existing or new data directory with extra configuration (a restart with other settings); the caller deletes the directory.</summary>
    public static GatewayApp OnDataDirectory(string dataDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var app = OnDataDirectory(dataDirectory);
        foreach (var (key, value) in settings)
        {
            app._settings[key] = value;
        }

        return app;
    }

    /// <summary>
    /// A gateway on an existing or new data directory with no operator key and no signing key configured, so that
    /// embedded mode makes its own; <see cref="Admin"/> sends <see cref="AdminKey"/> until <see cref="UseAdminKey"/>.
    /// </summary>
    public static GatewayApp WithGeneratedSecrets(string dataDirectory) => new(dataDirectory, ownsDataDirectory: false, configureSecrets: false);

    /// <summary>A gateway on a fresh data directory with extra configuration (keys as in appsettings, e.g. <c>Gateway:PublicBaseUrl</c>).</summary>
    public static GatewayApp WithSettings(IReadOnlyDictionary<string, string> settings)
    {
        var app = new GatewayApp();
        foreach (var (key, value) in settings)
        {
            app._settings[key] = value;
        }

        return app;
    }

    /// <summary>
    /// A gateway on a fresh data directory with extra configuration and services configured after the gateway's own
    /// (as <c>ConfigureTestServices</c> does), e.g. an in-memory trace exporter.
    /// </summary>
    public static GatewayApp WithServices(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection> services)
    {
        var app = WithSettings(settings);
        app._services = services;
        return app;
    }

    private Action<IServiceCollection>? _services;

    /// <summary>
    /// A gateway on a fresh data directory whose grain-state writes can be made to fail and whose reads are counted
    /// (<see cref="StorageFaults"/>), with extra configuration as <see cref="WithSettings"/> takes it.
    /// </summary>
    public static GatewayApp WithStorageFaults(IReadOnlyDictionary<string, string>? settings = null)
    {
        var app = new GatewayApp { StorageFaults = new StorageFaults() };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            app._settings[key] = value;
        }

        return app;
    }

    /// <summary>
    /// A gateway on a fresh data directory whose clock (the <see cref="TimeProvider"/> of the gateway and of its silo's
    /// grains) is <paramref name="clock"/>, so that a test can move time forward: tokens expire, decisions age.
    /// </summary>
    public static GatewayApp WithClock(ShiftedClock clock) => new() { Clock = clock };

    /// <summary>Adds configuration (keys as in appsettings) to a gateway not started yet.</summary>
    public void Configure(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
    }

    /// <summary>The clock of a gateway made by <see cref="WithClock"/>; null otherwise.</summary>
    public ShiftedClock? Clock { get; private init; }

    /// <summary>The injected storage failures of a gateway made by <see cref="WithStorageFaults"/>; null otherwise.</summary>
    public StorageFaults? StorageFaults { get; private init; }

    /// <summary>
    /// Every log message the gateway wrote: Information and above from OrleansShare's own categories, Warning and
    /// above from the rest (the levels the gateway's log defaults and this fixture let through).
    /// </summary>
    public IReadOnlyCollection<string> LogMessages => _log;

    /// <summary>Every line the gateway printed to the operator's console (<c>OperatorConsole</c>), which no log receives.</summary>
    public IReadOnlyCollection<string> ConsoleLines => _console;

    /// <summary>
    /// The operator key this gateway printed at start. The gateway prints it from an ApplicationStarted callback, which
    /// under WebApplicationFactory may run just after the server reports started, so this waits for the line.
    /// </summary>
    public Task<string> GeneratedAdminKeyAsync() =>
        _generatedAdminKey.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    /// <summary>Whether the gateway has printed a generated operator key so far.</summary>
    public bool PrintedAnAdminKey => _generatedAdminKey.Task.IsCompleted;

    public void UseAdminKey(string adminKey) => Admin = CreateAdminClient(adminKey);

    public static string NewDataDirectory() =>
        Path.Combine(Path.GetTempPath(), "orleansshare-http-tests", Guid.NewGuid().ToString("N"));

    public static void DeleteDataDirectory(string dataDirectory)
    {
        try
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open; the temp folder is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A client that sends <paramref name="apiKey"/> as <c>x-api-key</c>.</summary>
    public HttpClient CreateClient(string apiKey) => CreateDefaultClient(new HeaderHandler("x-api-key", apiKey));

    /// <summary>A client that sends <paramref name="adminKey"/> as <c>x-admin-key</c>.</summary>
    public HttpClient CreateAdminClient(string adminKey) => CreateDefaultClient(new HeaderHandler("x-admin-key", adminKey));

    public ValueTask InitializeAsync()
    {
        StartServer();
        Admin = CreateAdminClient(AdminKey);
        Anonymous = CreateDefaultClient();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDirectory)
        {
            DeleteDataDirectory(DataDirectory);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        builder.UseSetting("Cluster:SiloPort", _siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cluster:GatewayPort", _gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_configureSecrets)
        {
            builder.UseSetting("Admin:ApiKey", AdminKey);
            builder.UseSetting($"ShareTokens:SigningKeys:{SigningKeyId}", Convert.ToBase64String(SigningKey));
        }

        // Every test of the shared gateway sends its requests without a key from the same (test server) address: API.md's
        // 20 a second would throttle the suite, not any one test. RateLimitTests set the limits they test.
        builder.UseSetting("RateLimiting:UnauthenticatedPerSecond", "100000");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (StorageFaults is { } faults)
        {
            builder.ConfigureTestServices(services => StorageFaults.Install(services, faults));
        }

        if (Clock is { } clock)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
        }

        if (_services is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }

        builder.ConfigureTestServices(services => services.AddSingleton(new OperatorConsole(PrintToConsole)));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // The console logger would bury a failing test's message under every request's log lines in CI's
        // output; tests read the log from the capturing provider instead.
        builder.ConfigureLogging(logging => logging.ClearProviders().AddProvider(new CapturingLoggerProvider(_log.Enqueue)));
    }

    private void PrintToConsole(string line)
    {
        _console.Enqueue(line);
        if (GeneratedAdminKeyPattern().Match(line) is { Success: true } key)
        {
            _generatedAdminKey.TrySetResult(key.Value);
        }
    }

    [GeneratedRegex("osk_admin_[A-Za-z0-9_-]+")]
    private static partial Regex GeneratedAdminKeyPattern();

    // ---- Seeding, through the HTTP API only -------------------------------------------------------------

    /// <summary>
    /// A new application (operator API) with a KYC and a KYB workflow, both the default of their kind unless
    /// <paramref name="defaultWorkflows"/> is false.
    /// </summary>
    public async Task<TestApplication> CreateApplicationAsync(bool defaultWorkflows = true)
    {
        var bare = await CreateBareApplicationAsync();
        var kyc = await CreateWorkflowAsync(bare, SessionKind.User, defaultWorkflows);
        var kyb = await CreateWorkflowAsync(bare, SessionKind.Business, defaultWorkflows);
        return bare with { KycWorkflowId = kyc, KybWorkflowId = kyb };
    }

    /// <summary>A new application without workflows.</summary>
    public async Task<TestApplication> CreateBareApplicationAsync(string? name = null)
    {
        var response = await Admin.PostAsync("/admin/v1/applications/", Body.Json(new JsonObject
        {
            ["name"] = name ?? $"app-{Guid.NewGuid():N}",
        }), TestContext.Current.CancellationToken);
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        var apiKey = created.Str("api_key");
        return new TestApplication(created.Id("application_id"), created.Id("api_key_id"), apiKey, CreateClient(apiKey), Guid.Empty, Guid.Empty);
    }

    public async Task<Guid> CreateWorkflowAsync(TestApplication app, SessionKind kind, bool isDefault = false)
    {
        var features = kind == SessionKind.Business
            ? new JsonArray("KYB_REGISTRY", "KYB_KEY_PEOPLE", "KYB_DOCUMENTS", "AML")
            : new JsonArray("OCR", new JsonObject { ["feature"] = "LIVENESS", ["config"] = new JsonObject { ["threshold"] = 0.85 } }, "FACE_MATCH", "AML");
        var response = await app.Client.PostAsync("/v3/workflows/", Body.Json(new JsonObject
        {
            ["workflow_label"] = kind == SessionKind.Business ? "KYB standard" : "KYC standard",
            ["features"] = features,
            ["is_default"] = isDefault,
        }), TestContext.Current.CancellationToken);
        var workflow = await response.AssertJsonAsync(HttpStatusCode.Created);
        return workflow.Id("workflow_id");
    }

    /// <summary>Creates a session (201) and returns its id.</summary>
    public async Task<Guid> CreateSessionAsync(TestApplication app, Guid? workflowId, string? vendorData = null, JsonObject? extra = null)
    {
        var body = extra?.DeepClone().AsObject() ?? [];
        if (workflowId is { } id)
        {
            body["workflow_id"] = id.ToString();
        }

        if (vendorData is not null)
        {
            body["vendor_data"] = vendorData;
        }

        var response = await app.Client.PostAsync("/v3/session/", Body.Json(body), TestContext.Current.CancellationToken);
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        return created.Id("session_id");
    }

    /// <summary>PUT of a verified decision (200); returns the session document.</summary>
    public async Task<JsonObject> RecordDecisionAsync(TestApplication app, Guid sessionId, string decisionJson)
    {
        var response = await app.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(decisionJson), TestContext.Current.CancellationToken);
        return await response.AssertJsonAsync(HttpStatusCode.OK);
    }

    /// <summary>A session of <paramref name="kind"/> on the application's workflow of that kind, with a verified decision.</summary>
    public async Task<Guid> CreateVerifiedSessionAsync(
        TestApplication app, SessionKind kind = SessionKind.User, string? decisionJson = null, string? vendorData = null, JsonObject? extra = null)
    {
        var sessionId = await CreateSessionAsync(app, app.WorkflowFor(kind), vendorData ?? $"vendor-{Guid.NewGuid():N}", extra);
        await RecordDecisionAsync(app, sessionId, decisionJson ?? Decisions.Verified(kind));
        return sessionId;
    }

    public Task<HttpResponseMessage> TryShareAsync(TestApplication app, Guid sessionId, JsonObject body) =>
        app.Client.PostAsync($"/v3/session/{sessionId}/share/", Body.Json(body), TestContext.Current.CancellationToken);

    /// <summary>Mints a share token (201) and returns it.</summary>
    public async Task<string> ShareAsync(TestApplication app, Guid sessionId, Guid forApplicationId, int? ttlInSeconds = null)
    {
        var body = new JsonObject { ["for_application_id"] = forApplicationId.ToString() };
        if (ttlInSeconds is { } ttl)
        {
            body["ttl_in_seconds"] = ttl;
        }

        var response = await TryShareAsync(app, sessionId, body);
        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        return shared.Str("share_token");
    }

    public Task<HttpResponseMessage> TryImportAsync(
        TestApplication app, string token, Guid? workflowId = null, bool? trustReview = null, string? vendorData = null)
    {
        var body = new JsonObject { ["share_token"] = token };
        if (workflowId is { } id)
        {
            body["workflow_id"] = id.ToString();
        }

        if (trustReview is { } trust)
        {
            body["trust_review"] = trust;
        }

        if (vendorData is not null)
        {
            body["vendor_data"] = vendorData;
        }

        return app.Client.PostAsync("/v3/session/import-shared/", Body.Json(body), TestContext.Current.CancellationToken);
    }

    /// <summary>Imports a token (201) and returns the new session document.</summary>
    public async Task<JsonObject> ImportAsync(
        TestApplication app, string token, Guid? workflowId = null, bool? trustReview = null, string? vendorData = null)
    {
        var response = await TryImportAsync(app, token, workflowId, trustReview, vendorData);
        return await response.AssertJsonAsync(HttpStatusCode.Created);
    }

    public async Task<JsonObject> GetDecisionAsync(TestApplication app, Guid sessionId)
    {
        var response = await app.Client.GetAsync($"/v3/session/{sessionId}/decision/", TestContext.Current.CancellationToken);
        return await response.AssertJsonAsync(HttpStatusCode.OK);
    }

    /// <summary>The activity log of a session, oldest first.</summary>
    public async Task<JsonArray> GetReviewsAsync(TestApplication app, Guid sessionId)
    {
        var response = await app.Client.GetAsync($"/v3/sessions/{sessionId}/reviews/", TestContext.Current.CancellationToken);
        return await response.AssertJsonArrayAsync(HttpStatusCode.OK);
    }

    /// <summary>The <c>action</c> of each activity entry, oldest first.</summary>
    public async Task<List<string>> GetActionsAsync(TestApplication app, Guid sessionId) =>
        [.. (await GetReviewsAsync(app, sessionId)).Select(e => e!["action"]!.GetValue<string>())];

    /// <summary>The number of sessions the application lists.</summary>
    public async Task<long> CountSessionsAsync(TestApplication app)
    {
        var response = await app.Client.GetAsync("/v3/sessions/?session_kind=all", TestContext.Current.CancellationToken);
        var page = await response.AssertJsonAsync(HttpStatusCode.OK);
        return page["count"]!.GetValue<long>();
    }

    public async Task DeleteApplicationAsync(Guid applicationId)
    {
        var response = await Admin.DeleteAsync($"/admin/v1/applications/{applicationId}/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public async Task DeleteSessionAsync(TestApplication app, Guid sessionId)
    {
        var response = await app.Client.DeleteAsync($"/v3/session/{sessionId}/delete/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private sealed class CapturingLoggerProvider(Action<string> capture) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(capture);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(Action<string> capture) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    capture(formatter(state, exception));
                }
            }
        }
    }

    private sealed class HeaderHandler(string header, string value) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove(header);
            request.Headers.TryAddWithoutValidation(header, value);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>An application seeded for a test: its id, first API key (both privileges), a client sending it, and its workflows.</summary>
public sealed record TestApplication(Guid ApplicationId, Guid ApiKeyId, string ApiKey, HttpClient Client, Guid KycWorkflowId, Guid KybWorkflowId)
{
    public Guid WorkflowFor(SessionKind kind) => kind == SessionKind.Business ? KybWorkflowId : KycWorkflowId;
}

/// <summary>Every HTTP test class shares one gateway; each test makes its own applications.</summary>
[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayApp>
{
    public const string Name = "Gateway";
}
