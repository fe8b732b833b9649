using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A real HTTP server on loopback that receives webhook deliveries: Kestrel on a port of its own, which it keeps across
/// <see cref="StopAsync"/> and <see cref="StartAsync"/> (a receiver that goes down, then comes back). It records every
/// request's headers and raw body, and answers 200, or hangs without answering while <see cref="Hang"/> is set.
/// Waits are on conditions with a deadline, never sleeps.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly CancellationTokenSource _released = new();
    private WebApplication? _app;
    private int _hanging;

    private WebhookReceiver(int port) => Port = port;

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks/status";

    /// <summary>While true, requests are held open with no answer (until the receiver is disposed).</summary>
    public bool Hang { get; set; }

    /// <summary>Requests being held open now.</summary>
    public int Hanging => Volatile.Read(ref _hanging);

    public IReadOnlyCollection<ReceivedWebhook> Received => _received;

    /// <summary>A receiver on a free port, running.</summary>
    public static async Task<WebhookReceiver> StartNewAsync()
    {
        var receiver = new WebhookReceiver(FreePort());
        await receiver.StartAsync();
        return receiver;
    }

    /// <summary>A receiver with a port reserved for it, not running yet: connections to it are refused until <see cref="StartAsync"/>.</summary>
    public static WebhookReceiver NotStarted() => new(FreePort());

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.MapPost("/hooks/status", (Delegate)HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(TestContext.Current.CancellationToken);
            await app.DisposeAsync();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for what was received, failing after <paramref name="deadline"/>.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var snapshot = _received.ToList();
            if (condition(snapshot))
            {
                return snapshot;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The receiver did not get {what} within {deadline}; it got {snapshot.Count} requests.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _released.CancelAsync();
        await StopAsync();
        _released.Dispose();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (Hang)
        {
            Interlocked.Increment(ref _hanging);
            try
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(_released.Token, context.RequestAborted);
                await Task.Delay(Timeout.InfiniteTimeSpan, either.Token);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _hanging);
            }

            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        _received.Enqueue(new ReceivedWebhook(headers, body.ToArray()));
        return Results.Ok();
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>One request a <see cref="WebhookReceiver"/> answered: its headers and its body as the bytes sent.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string WebhookId => Headers["X-Webhook-Id"];

    public System.Text.Json.Nodes.JsonObject Json => System.Text.Json.Nodes.JsonNode.Parse(Body)!.AsObject();

    public string SessionId => Json["session_id"]!.GetValue<string>();
}
