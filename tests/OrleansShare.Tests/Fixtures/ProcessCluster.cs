using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// Real silo and gateway processes of one cluster (<c>Cluster__Mode=AdoNet</c>) on one PostgreSQL database, with
/// its own ClusterId/ServiceId, ports, operator key and signing key. The first <c>cohostedGateways</c> gateways also
/// host a silo of the cluster (<c>Cluster__HostSilo=true</c>); the others are pure Orleans clients of the silos.
/// Silo i and gateway j keep their ports across restarts. Failure detection is the hosts' default. Dispose kills
/// whatever still runs.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>How long a host may take to stop after SIGTERM (the hosts' shutdown timeout is 30 s).</summary>
    public static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How long a gateway may take to report the expected silos (generous: other builds share the machine).</summary>
    public static readonly TimeSpan ReadyDeadline = TimeSpan.FromMinutes(3);

    private static readonly Lazy<(string Root, string Configuration)> Repository = new(FindRepository);

    private readonly int[] _siloPorts;
    private readonly int[] _siloGatewayPorts;
    private readonly int[] _httpPorts;
    private readonly int[] _cohostedSiloPorts;
    private readonly int[] _cohostedGatewayPorts;
    private readonly int _cohostedGateways;
    private readonly HostProcess?[] _silos;
    private readonly HostProcess?[] _gateways;
    private readonly List<HostProcess> _all = [];
    private readonly Dictionary<string, int> _starts = [];
    private readonly GatewayClient[] _clients;
    private readonly string _signingKid;
    private readonly string _signingKey;
    private readonly string _storageKey;

    public ProcessCluster(string connectionString, string logDirectory, int silos, int gateways, int cohostedGateways = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cohostedGateways, gateways);
        ConnectionString = connectionString;
        LogDirectory = logDirectory;
        Directory.CreateDirectory(logDirectory);
        var id = Guid.NewGuid().ToString("N")[..12];
        ClusterId = "c" + id;
        ServiceId = "s" + id;
        AdminKey = "osk_admin_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _signingKid = "test" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _storageKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var ports = TestPorts.Next((2 * silos) + gateways + (2 * cohostedGateways));
        _siloPorts = ports[..silos];
        _siloGatewayPorts = ports[silos..(2 * silos)];
        _httpPorts = ports[(2 * silos)..((2 * silos) + gateways)];
        _cohostedSiloPorts = ports[((2 * silos) + gateways)..((2 * silos) + gateways + cohostedGateways)];
        _cohostedGatewayPorts = ports[((2 * silos) + gateways + cohostedGateways)..];
        _cohostedGateways = cohostedGateways;
        _silos = new HostProcess?[silos];
        _gateways = new HostProcess?[gateways];
        _clients = [.. _httpPorts.Select(p => new GatewayClient(new Uri($"http://127.0.0.1:{p}"), AdminKey))];
    }

    public string ConnectionString { get; }

    public string LogDirectory { get; }

    public string ClusterId { get; }

    public string ServiceId { get; }

    public string AdminKey { get; }

    /// <summary>The master key id every process gets (<c>Storage__EncryptionKeys__&lt;kid&gt;</c>, base64 in <see cref="StorageKey"/>): sessions are sealed at rest, as deployed.</summary>
    public const string StorageKid = "cluster1";

    public string StorageKey => _storageKey;

    /// <summary>The repository root: the folder holding OrleansShare.sln.</summary>
    public static string RepositoryRoot => Repository.Value.Root;

    public int SiloCount => _silos.Length;

    public int GatewayCount => _gateways.Length;

    /// <summary>How many gateways also host a silo (gateways 0 to this count - 1).</summary>
    public int CohostedGatewayCount => _cohostedGateways;

    /// <summary>Every silo of the cluster when all run: the dedicated ones and those inside co-hosted gateways.</summary>
    public int ClusterSiloCount => SiloCount + CohostedGatewayCount;

    /// <summary>Whether gateway <paramref name="index"/> also hosts a silo (<c>Cluster__HostSilo=true</c>).</summary>
    public bool HostsSilo(int index) => index < _cohostedGateways;

    /// <summary>The silo-to-silo port of co-hosted gateway <paramref name="index"/> (its row in the membership table).</summary>
    public int GatewaySiloPort(int index) => HostsSilo(index) ? _cohostedSiloPorts[index] : throw new InvalidOperationException($"gateway-{index} hosts no silo.");

    /// <summary>The HTTP client of gateway <paramref name="index"/> (admin key built in, API keys per call).</summary>
    public GatewayClient Gateway(int index) => _clients[index];

    public HostProcess Silo(int index) => _silos[index] ?? throw new InvalidOperationException($"silo-{index} was never started.");

    public HostProcess GatewayProcess(int index) => _gateways[index] ?? throw new InvalidOperationException($"gateway-{index} was never started.");

    /// <summary>The silo-to-silo port of silo <paramref name="index"/> (its row in the membership table).</summary>
    public int SiloPort(int index) => _siloPorts[index];

    /// <summary>Starts silo <paramref name="index"/>; <paramref name="extraEnvironment"/> adds settings to this run.</summary>
    public HostProcess StartSilo(int index, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        EnsureNotRunning(_silos[index], $"silo-{index}");
        var environment = CommonEnvironment();
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        environment["Cluster__SiloPort"] = Invariant(_siloPorts[index]);
        environment["Cluster__GatewayPort"] = Invariant(_siloGatewayPorts[index]);
        environment["Cluster__AdvertisedAddress"] = "127.0.0.1";
        return _silos[index] = Start($"silo-{index}", Dll("Silo", "OrleansShare.Silo.dll"), environment);
    }

    /// <summary>Starts gateway <paramref name="index"/>; <paramref name="extraEnvironment"/> adds settings (e.g. log levels) to this run.</summary>
    public HostProcess StartGateway(int index, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        EnsureNotRunning(_gateways[index], $"gateway-{index}");
        var environment = CommonEnvironment();
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        environment["Cluster__HostSilo"] = HostsSilo(index) ? "true" : "false";
        if (HostsSilo(index))
        {
            environment["Cluster__SiloPort"] = Invariant(_cohostedSiloPorts[index]);
            environment["Cluster__GatewayPort"] = Invariant(_cohostedGatewayPorts[index]);
            environment["Cluster__AdvertisedAddress"] = "127.0.0.1";
        }

        var url = $"http://127.0.0.1:{_httpPorts[index]}";
        environment["ASPNETCORE_URLS"] = url;
        environment["Gateway__PublicBaseUrl"] = url;
        return _gateways[index] = Start($"gateway-{index}", Dll("Gateway", "OrleansShare.Gateway.dll"), environment);
    }

    /// <summary>Starts every silo at once, then every gateway, and waits until each gateway sees every silo (co-hosted ones included).</summary>
    public async Task StartAllAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < SiloCount; i++)
        {
            StartSilo(i);
        }

        for (var j = 0; j < GatewayCount; j++)
        {
            StartGateway(j);
        }

        for (var j = 0; j < GatewayCount; j++)
        {
            await WaitReadyAsync(j, ClusterSiloCount, cancellationToken);
        }
    }

    /// <summary>SIGTERM to every gateway, then to every silo, each waited for.</summary>
    public async Task StopAllAsync()
    {
        for (var j = 0; j < GatewayCount; j++)
        {
            await StopGatewayAsync(j);
        }

        for (var i = 0; i < SiloCount; i++)
        {
            await StopSiloAsync(i);
        }
    }

    public Task StopSiloAsync(int index) => Silo(index).StopAsync(StopDeadline);

    public Task StopGatewayAsync(int index) => GatewayProcess(index).StopAsync(StopDeadline);

    public Task KillSiloAsync(int index) => Silo(index).KillAsync();

    /// <summary>Polls <c>/health/ready</c> of gateway <paramref name="index"/> until it is ready with <paramref name="expectedSilos"/> silos and its API-key cache subscribed to revocations.</summary>
    public async Task WaitReadyAsync(int index, int expectedSilos, CancellationToken cancellationToken)
    {
        var last = "no answer yet";
        var deadline = DateTime.UtcNow + ReadyDeadline;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfAnyCrashed();

            var answer = await Gateway(index).SendAsync(HttpMethod.Get, "/health/ready", cancellationToken: cancellationToken);
            last = $"{answer.Status} {answer.Text}";
            if (answer.Status == 200 && answer.Body?["silos"]?.GetValue<int>() == expectedSilos
                && answer.Body?["api_key_cache"]?.GetValue<string>() == "subscribed")
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new TimeoutException($"gateway-{index} was not ready with {expectedSilos} silos within {ReadyDeadline}; last answer: {last}\n{LogTails()}");
    }

    /// <summary>Polls the membership table until exactly <paramref name="count"/> silos of this cluster are Active.</summary>
    public async Task WaitForActiveSilosAsync(int count, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyDeadline;
        var last = -1;
        while (DateTime.UtcNow < deadline)
        {
            ThrowIfAnyCrashed();
            last = (await ActiveSiloPortsAsync(cancellationToken)).Count;
            if (last == count)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new TimeoutException($"The membership table did not reach {count} Active silos within {ReadyDeadline} (last {last}).\n{LogTails()}");
    }

    /// <summary>The newest generation silo <paramref name="index"/> registered in the membership table (0 when none).</summary>
    public async Task<int> SiloGenerationAsync(int index, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(max(generation), 0) FROM orleansmembershiptable WHERE deploymentid = @cluster AND port = @port", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("port", _siloPorts[index]);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Polls the membership table until silo <paramref name="index"/> is Active in a generation newer than <paramref name="after"/>.</summary>
    public async Task WaitForSiloJoinedAsync(int index, int after, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyDeadline;
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster AND port = @port AND generation > @after AND status = 3", connection);
            command.Parameters.AddWithValue("cluster", ClusterId);
            command.Parameters.AddWithValue("port", _siloPorts[index]);
            command.Parameters.AddWithValue("after", after);
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
            {
                return;
            }

            ThrowIfAnyCrashed();

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new TimeoutException($"silo-{index} did not become Active in a new generation within {ReadyDeadline}.\n{LogTails()}");
    }

    /// <summary>Polls the membership table until no row of silo <paramref name="index"/> is Active any more (it was declared dead or left).</summary>
    public async Task WaitForSiloGoneAsync(int index, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyDeadline;
        while ((await ActiveSiloPortsAsync(cancellationToken)).Contains(_siloPorts[index]))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"silo-{index} is still Active in the membership table {ReadyDeadline} later.\n{LogTails()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Silo ports of the rows with status Active (3), one per row.</summary>
    public async Task<IReadOnlyList<int>> ActiveSiloPortsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT port FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = 3 ORDER BY port", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        var ports = new List<int>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ports.Add(reader.GetInt32(0));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The first host has not created the schema yet.
        }

        return ports;
    }

    /// <summary>Fails, with the log tails, when a silo or gateway exited without being asked to.</summary>
    public void ThrowIfAnyCrashed()
    {
        if (_silos.Concat(_gateways).OfType<HostProcess>().FirstOrDefault(p => p.Crashed) is { } crashed)
        {
            throw new InvalidOperationException($"{crashed.Name} exited on its own with {crashed.ExitCode}.\n{LogTails()}");
        }
    }

    /// <summary>The log tail of every process this cluster started, newest run of each.</summary>
    public string LogTails(int lines = 25) =>
        string.Join("\n", _silos.Concat(_gateways).OfType<HostProcess>().Select(p => p.Tail(lines)));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _all)
        {
            await process.DisposeAsync();
        }

        _all.Clear();

        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private HostProcess Start(string name, string dll, Dictionary<string, string> environment)
    {
        var run = _starts[name] = _starts.GetValueOrDefault(name) + 1;
        var process = HostProcess.Start(name, dll, environment, Path.Combine(LogDirectory, $"{name}.{run}.log"));
        _all.Add(process);
        return process;
    }

    private Dictionary<string, string> CommonEnvironment() => new()
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Cluster__Mode"] = "AdoNet",
        ["Cluster__ClusterId"] = ClusterId,
        ["Cluster__ServiceId"] = ServiceId,
        ["ConnectionStrings__OrleansShare"] = ConnectionString,
        ["Admin__ApiKey"] = AdminKey,
        [$"ShareTokens__SigningKeys__{_signingKid}"] = _signingKey,
        [$"Storage__EncryptionKeys__{StorageKid}"] = _storageKey,

        // Failure detection runs on the hosts' own LAN defaults (FailureDetection), as deployed. A call that nothing
        // else ends fails after 10 s instead of Orleans' 30, so that a test that misses one says so sooner.
        ["Orleans__Messaging__ResponseTimeout"] = "00:00:10",

        // UTC timestamps in the logs, to line them up with the test's own output.
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
    };

    private static void EnsureNotRunning(HostProcess? process, string name)
    {
        if (process is { HasExited: false })
        {
            throw new InvalidOperationException($"{name} is still running (pid {process.Id}).");
        }
    }

    /// <summary>The configuration the tests (and so the hosts they start) were built in: Debug or Release.</summary>
    public static string BuildConfiguration => Repository.Value.Configuration;

    /// <summary>A host's built assembly, e.g. <c>Dll("Gateway", "OrleansShare.Gateway.dll")</c>.</summary>
    public static string Dll(string project, string file)
    {
        var (root, configuration) = Repository.Value;
        return Path.Combine(root, "src", project, "bin", configuration, "net10.0", file);
    }

    /// <summary>The repository root (the folder holding OrleansShare.sln) and the test assembly's configuration.</summary>
    private static (string Root, string Configuration) FindRepository()
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var root = baseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OrleansShare.sln")))
        {
            root = root.Parent;
        }

        // .../bin/<Configuration>/net10.0/
        var configuration = baseDirectory.Parent?.Name;
        if (root is null || configuration is null || baseDirectory.Parent?.Parent?.Name != "bin")
        {
            throw new InvalidOperationException($"Cannot find OrleansShare.sln and bin/<Configuration>/net10.0 above {AppContext.BaseDirectory}.");
        }

        return (root.FullName, configuration);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An answer from a gateway: status (0 when no HTTP answer came), parsed body, raw text, its Retry-After header.</summary>
public sealed record ApiResponse(int Status, JsonNode? Body, string Text, string? RetryAfter = null)
{
    public JsonNode Json => Body ?? throw new InvalidOperationException($"No JSON body: {Status} {Text}");
}
