using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// Load generator for a running OrleansShare deployment (embedded or cluster): provisions two applications,
// records N verified sessions, then measures share+import pairs per second and decision reads per second
// at a fixed concurrency, spreading requests over every gateway given. A warm-up round (--warmup N) runs first.
//
//   dotnet run -c Release --project bench/OrleansShare.Bench -- --gateways http://127.0.0.1:8081,http://127.0.0.1:8082 \
//       --admin-key "$Admin__ApiKey" --sessions 2000 --reads 20000 --concurrency 32
//
// --http-floor N (alone) measures what N webhook-sized POSTs on loopback cost in CPU, client and receiver together:
// the least a delivery can cost on this machine, whatever the service does.
//
// --webhook registers a webhook destination for the importer, served by a receiver this process starts on loopback
// (answering 200), and reports the delivery latency from each import's 201 to its status.updated's receipt. A cluster
// must allow the loopback destination (Webhooks__AllowPrivateNetworks=true; bench/run.sh sets it).
// --webhook-url URL registers URL instead, a receiver in another process (--receive runs one: it prints its URL and
// serves until stopped), so the load generator's own threads do not also serve the deliveries; no latency is reported.

if (args.Contains("--http-floor"))
{
    await HttpFloor.MeasureAsync(int.Parse(args.SkipWhile(a => a != "--http-floor").Skip(1).FirstOrDefault() ?? "20000", System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Contains("--receive"))
{
    using var alone = WebhookReceiver.Start();
    Console.WriteLine(alone.Url);
    var stopped = new TaskCompletionSource();
    using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
        System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; stopped.TrySetResult(); });
    await stopped.Task;
    Console.WriteLine($"received {alone.Received.Count} sessions' deliveries");
    return;
}

var options = BenchOptions.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(60) };
var gateways = options.Gateways;
string Gateway(int i) => gateways[i % gateways.Length];

async Task<JsonNode> Send(HttpMethod method, string url, string? key, string? adminKey, object? body, int expected)
{
    using var request = new HttpRequestMessage(method, url);
    if (key is not null)
    {
        request.Headers.Add("x-api-key", key);
    }

    if (adminKey is not null)
    {
        request.Headers.Add("x-admin-key", adminKey);
    }

    if (body is not null)
    {
        request.Content = body as HttpContent ?? JsonContent.Create(body);
    }

    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if ((int)response.StatusCode != expected)
    {
        throw new InvalidOperationException($"{method} {url}: {(int)response.StatusCode} {text}");
    }

    return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
}

async Task<(double Seconds, int Errors)> Run(int count, Func<int, Task> operation)
{
    var next = -1;
    var errors = 0;
    var watch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            try
            {
                await operation(i);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException)
            {
                if (Interlocked.Increment(ref errors) <= 3)
                {
                    Console.Error.WriteLine(ex.Message);
                }
            }
        }
    });
    await Task.WhenAll(workers);
    return (watch.Elapsed.TotalSeconds, errors);
}

Console.WriteLine($"Gateways: {string.Join(", ", gateways)}; sessions {options.Sessions}, reads {options.Reads}, concurrency {options.Concurrency}, warm-up {options.Warmup}");
var source = await Send(HttpMethod.Post, $"{Gateway(0)}/admin/v1/applications/", null, options.AdminKey, new { name = "bench source" }, 201);
var partner = await Send(HttpMethod.Post, $"{Gateway(0)}/admin/v1/applications/", null, options.AdminKey, new { name = "bench partner" }, 201);
var sourceKey = source["api_key"]!.GetValue<string>();
var partnerKey = partner["api_key"]!.GetValue<string>();
var partnerId = partner["application_id"]!.GetValue<string>();
foreach (var key in new[] { sourceKey, partnerKey })
{
    await Send(HttpMethod.Post, $"{Gateway(0)}/v3/workflows/", key, null,
        new { workflow_label = "KYC", features = new[] { "OCR", "LIVENESS", "FACE_MATCH", "AML" }, is_default = true }, 201);
}

using var receiver = options.Webhook && options.WebhookUrl is null ? WebhookReceiver.Start() : null;
if ((options.WebhookUrl ?? receiver?.Url) is { } hookUrl)
{
    await Send(HttpMethod.Post, $"{Gateway(0)}/v3/webhook/destinations/", partnerKey, null,
        new { label = "bench receiver", url = hookUrl, enabled = true, webhook_version = "v3", subscribed_events = new[] { "status.updated" } }, 201);
    Console.WriteLine($"webhook: the importer's destination is {hookUrl}");
}

var imported = new ConcurrentDictionary<string, long>();
var decision = Decision.Text;
Console.WriteLine($"Decision document: {Encoding.UTF8.GetByteCount(decision)} bytes");
async Task<(string[] Ids, double Seconds, int Errors)> CreateAndDecide(int count, string label)
{
    var ids = new string[count];
    var (seconds, errors) = await Run(count, async i =>
    {
        var created = await Send(HttpMethod.Post, $"{Gateway(i)}/v3/session/", sourceKey, null, new { vendor_data = $"{label}-customer-{i}" }, 201);
        ids[i] = created["session_id"]!.GetValue<string>();
        await Send(HttpMethod.Put, $"{Gateway(i + 1)}/v3/session/{ids[i]}/decision/", sourceKey, null,
            new StringContent(decision, Encoding.UTF8, "application/json"), 200);
    });
    return (ids, seconds, errors);
}

async Task<(string[] Ids, double Seconds, int Errors)> ShareAndImport(string[] sources, string label)
{
    var ids = new string[sources.Length];
    var (seconds, errors) = await Run(sources.Length, async i =>
    {
        object body = options.Governance
            ? new
            {
                for_application_id = partnerId,
                ttl_in_seconds = 3600,
                purpose = "lending",
                scope = new[] { "id_verifications", "liveness_checks", "face_matches", "aml_screenings" },
                consent = new { obtained_at = "2026-11-30T09:00:00Z", method = "in_app_checkbox", reference = $"consent-{i}" },
            }
            : new { for_application_id = partnerId, ttl_in_seconds = 3600 };
        var share = await Send(HttpMethod.Post, $"{Gateway(i)}/v3/session/{sources[i]}/share/", sourceKey, null, body, 201);
        var clone = await Send(HttpMethod.Post, $"{Gateway(i + 1)}/v3/session/import-shared/", partnerKey, null,
            new { share_token = share["share_token"]!.GetValue<string>(), vendor_data = $"{label}-partner-{i}" }, 201);
        ids[i] = clone["session_id"]!.GetValue<string>();
        imported[ids[i]] = Stopwatch.GetTimestamp();
    });
    return (ids, seconds, errors);
}

Task<(double Seconds, int Errors)> ReadDecisions(string[] ids, int count) =>
    Run(count, i => Send(HttpMethod.Get, $"{Gateway(i)}/v3/session/{ids[i % ids.Length]}/decision/", partnerKey, null, null, 200));

// Warm-up, not measured: JIT, connection pools and prepared statements on every host, as in a service that has been running.
if (options.Warmup > 0)
{
    var (warmSessions, _, _) = await CreateAndDecide(options.Warmup, "warmup");
    var (warmClones, _, _) = await ShareAndImport(warmSessions, "warmup");
    await ReadDecisions(warmClones, options.Warmup * 5);
    Console.WriteLine($"warm-up: {options.Warmup} sessions created, decided, shared, imported and read (not measured)");
}

var (sessions, setupSeconds, setupErrors) = await CreateAndDecide(options.Sessions, "bench");
Console.WriteLine($"setup: {options.Sessions} sessions created and decided in {setupSeconds:F1} s ({options.Sessions / setupSeconds:F0}/s, create+decision), errors {setupErrors}");

var (clones, pairSeconds, pairErrors) = await ShareAndImport(sessions, "bench");
Console.WriteLine($"pairs: {options.Sessions} share+import pairs in {pairSeconds:F1} s = {options.Sessions / pairSeconds:F0} pairs/s, errors {pairErrors}");

if (receiver is not null)
{
    // Every clone's status.updated, or what arrived within a minute of the last import.
    var deadline = Stopwatch.StartNew();
    while (clones.Any(c => c is not null && !receiver.Received.ContainsKey(c)) && deadline.Elapsed < TimeSpan.FromMinutes(1))
    {
        await Task.Delay(100);
    }

    var latencies = clones.Where(c => c is not null && receiver.Received.ContainsKey(c) && imported.ContainsKey(c))
        .Select(c => Stopwatch.GetElapsedTime(imported[c], receiver.Received[c]).TotalMilliseconds).Order().ToArray();
    // From the load generator's read of the import's 201 to the receiver's read of the delivery: a delivery that
    // arrives before the load generator has read the 201 counts as negative.
    double Percentile(double p) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
    Console.WriteLine($"webhooks: {latencies.Length} of {clones.Count(c => c is not null)} imports delivered; import 201 to receipt p50 {Percentile(0.50):F1} ms, " +
        $"p99 {Percentile(0.99):F1} ms, max {Percentile(1):F1} ms");
}

var (readSeconds, readErrors) = await ReadDecisions(clones, options.Reads);
Console.WriteLine($"reads: {options.Reads} decision reads in {readSeconds:F1} s = {options.Reads / readSeconds:F0} reads/s, errors {readErrors}");

/// <summary>
/// The run's settings; <see cref="Governance"/> (<c>--governance</c>) adds purpose, scope and consent to every share,
/// <see cref="Webhook"/> (<c>--webhook</c>) gives the importer a webhook destination on loopback, served by this process,
/// or at <see cref="WebhookUrl"/> (<c>--webhook-url</c>), served by another.
/// </summary>
internal sealed record BenchOptions(
    string[] Gateways, string AdminKey, int Sessions, int Reads, int Concurrency, int Warmup, bool Governance, bool Webhook, string? WebhookUrl)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }

        var adminKey = Value("--admin-key") ?? Environment.GetEnvironmentVariable("Admin__ApiKey")
            ?? throw new ArgumentException("Pass --admin-key or set Admin__ApiKey.");
        return new BenchOptions(
            (Value("--gateways") ?? "http://localhost:8080").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            adminKey,
            int.Parse(Value("--sessions") ?? "1000", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--reads") ?? "10000", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency") ?? "32", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--warmup") ?? "3000", System.Globalization.CultureInfo.InvariantCulture),
            args.Contains("--governance"),
            args.Contains("--webhook"),
            Value("--webhook-url"));
    }
}

/// <summary>
/// A webhook receiver on loopback: notes when each session's first delivery arrived and answers 200. It is as cheap as
/// an HTTP/1.1 server can be, because it shares the machine with the service under test and should cost it as little
/// as a partner's receiver elsewhere would: one thread per keep-alive connection, blocked in <c>recv</c>, so a request
/// wakes the one thread that serves it (Kestrel's event loop then thread-pool worker woke two, and its host watched the
/// working directory for configuration changes). It reads each request's headers and its <c>Content-Length</c> body in
/// full, and takes the session id from the body's first <c>"session_id":"</c> (the canonical body's keys are sorted, so
/// that is <c>decision.session_id</c>, the session's own id) rather than parsing the whole document.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private static readonly byte[] SessionIdKey = "\"session_id\":\""u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLength = "\r\ncontent-length:"u8.ToArray();
    private static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
    private static readonly byte[] NoLength = "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray();

    private readonly Socket _listener;

    private WebhookReceiver(Socket listener)
    {
        _listener = listener;
        Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/hook/";
    }

    public string Url { get; }

    /// <summary>Session id to the <see cref="Stopwatch"/> timestamp of its first delivery.</summary>
    public ConcurrentDictionary<string, long> Received { get; } = new();

    public static WebhookReceiver Start()
    {
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        var receiver = new WebhookReceiver(listener);
        new Thread(receiver.Accept) { IsBackground = true, Name = "receiver accept" }.Start();
        return receiver;
    }

    public void Dispose() => _listener.Dispose();

    private void Accept()
    {
        try
        {
            while (true)
            {
                var connection = _listener.Accept();
                connection.NoDelay = true;
                new Thread(() => Serve(connection)) { IsBackground = true, Name = "receiver connection" }.Start();
            }
        }
        catch (SocketException)
        {
            // Disposed.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Serves one keep-alive connection's requests in turn until the client closes it.</summary>
    private void Serve(Socket connection)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                int headerEnd;
                while ((headerEnd = buffer.AsSpan(0, filled).IndexOf(HeaderEnd)) < 0)
                {
                    if (filled == buffer.Length || !Fill(connection, buffer, ref filled))
                    {
                        return;
                    }
                }

                var at = Stopwatch.GetTimestamp();
                var bodyStart = headerEnd + HeaderEnd.Length;
                if (!TryContentLength(buffer.AsSpan(0, headerEnd), out var length))
                {
                    connection.Send(NoLength);
                    return;
                }

                if (buffer.Length < bodyStart + length)
                {
                    Array.Resize(ref buffer, bodyStart + length);
                }

                while (filled < bodyStart + length)
                {
                    if (!Fill(connection, buffer, ref filled))
                    {
                        return;
                    }
                }

                var body = buffer.AsSpan(bodyStart, length);
                var key = body.IndexOf(SessionIdKey);
                if (key >= 0 && body.Length >= key + SessionIdKey.Length + 36)
                {
                    Received.TryAdd(Encoding.ASCII.GetString(body.Slice(key + SessionIdKey.Length, 36)), at);
                }

                connection.Send(Ok);
                var used = bodyStart + length;
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
            }
        }
        catch (SocketException)
        {
            // The client went away.
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>Reads what has arrived into the free end of <paramref name="buffer"/>; false once the client has closed.</summary>
    private static bool Fill(Socket connection, byte[] buffer, ref int filled)
    {
        var read = connection.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
        filled += read;
        return read > 0;
    }

    /// <summary>The <c>Content-Length</c> of a request's header block (names compared without regard to case).</summary>
    private static bool TryContentLength(ReadOnlySpan<byte> headers, out int length)
    {
        length = 0;
        Span<byte> lower = headers.Length <= 8192 ? stackalloc byte[headers.Length] : new byte[headers.Length];
        System.Text.Ascii.ToLower(headers, lower, out _);
        var at = lower.IndexOf(ContentLength);
        if (at < 0)
        {
            return false;
        }

        var value = lower[(at + ContentLength.Length)..];
        var lineEnd = value.IndexOf("\r\n"u8);
        return int.TryParse(Encoding.ASCII.GetString(lineEnd < 0 ? value : value[..lineEnd]).Trim(), System.Globalization.CultureInfo.InvariantCulture, out length)
               && length >= 0;
    }
}

/// <summary>
/// The floor under a webhook delivery's cost: N POSTs of a 5 KB JSON body from a pooled <see cref="HttpClient"/> to
/// <see cref="WebhookReceiver"/>, 16 at a time, in this one process; prints the process CPU (user and system) per POST.
/// </summary>
internal static class HttpFloor
{
    public static async Task MeasureAsync(int posts)
    {
        using var receiver = WebhookReceiver.Start();
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
        var body = Encoding.UTF8.GetBytes($"{{\"created_at\":\"2026-11-30T00:00:00.000Z\",\"decision\":{Decision.Text},\"session_id\":\"{Guid.NewGuid()}\"}}");
        async Task PostAsync()
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(receiver.Url, content);
            response.EnsureSuccessStatusCode();
        }

        async Task RunAsync(int count)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < count)
                {
                    await PostAsync();
                }
            }));
        }

        await RunAsync(2000);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await RunAsync(posts);
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"http floor: {posts} POSTs of {body.Length} bytes in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"{used.TotalMilliseconds / posts:F3} ms of CPU per POST, client and receiver together");
    }
}

internal static class Decision
{
    /// <summary>A realistic ~3 KB verified KYC decision.</summary>
    public static readonly string Text = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["status"] = "Approved",
        ["id_verifications"] = new[]
        {
            new Dictionary<string, object?>
            {
                ["status"] = "Approved", ["document_type"] = "Identity Card", ["document_number"] = "CAA000000",
                ["personal_number"] = "99999999R", ["date_of_birth"] = "1980-01-01", ["age"] = 45, ["expiration_date"] = "2031-06-02",
                ["issuing_state"] = "ESP", ["first_name"] = "Carmen", ["last_name"] = "Española Española",
                ["full_name"] = "Carmen Española Española", ["gender"] = "F", ["nationality"] = "ESP",
                ["address"] = "Avda de Madrid 34, Madrid, Madrid", ["portrait_image"] = "https://example.com/portrait.jpg",
                ["front_image"] = "https://example.com/front.jpg", ["back_image"] = "https://example.com/back.jpg",
                ["extra_fields"] = new Dictionary<string, object?> { ["dl_categories"] = Array.Empty<string>(), ["blood_group"] = null },
                ["parsed_address"] = new Dictionary<string, object?>
                {
                    ["city"] = "Madrid", ["region"] = "Madrid", ["street_1"] = "Avda de Madrid 34", ["street_2"] = null, ["postal_code"] = "28822",
                    ["raw_results"] = new { geometry = new { location = new { lat = 37.4222804, lng = -122.0843428 }, viewport = new { northeast = new { lat = 37.4237349802915, lng = -122.083183169709 } } } },
                },
                ["warnings"] = new[] { new { risk = "QR_NOT_DETECTED", log_type = "information", short_description = "QR not detected", long_description = "The system couldn't find or read the QR code on the document, which is necessary for document verification." } },
            },
        },
        ["liveness_checks"] = new[] { new { status = "Approved", method = "ACTIVE_3D", score = 89.92, age_estimation = 24.3, reference_image = "https://example.com/reference.jpg", video_url = "https://example.com/video.mp4" } },
        ["face_matches"] = new[] { new { status = "Approved", score = 97.31, source_image = "https://example.com/source.jpg", target_image = "https://example.com/target.jpg" } },
        ["aml_screenings"] = new[] { new { status = "Approved", total_hits = 0, score = 0.0, hits = Array.Empty<object>() } },
        ["ip_analyses"] = new[] { new { status = "Approved", ip_country = "Spain", ip_city = "Madrid", is_vpn_or_tor = false, latitude = 40.4165, longitude = -3.70256 } },
    });
}
