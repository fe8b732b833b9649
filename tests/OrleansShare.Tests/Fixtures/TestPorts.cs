using System.Net;
using System.Net.Sockets;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// TCP ports for the servers tests start (silos, gateways, PostgreSQL), taken below the kernel's ephemeral range
/// (<c>ip_local_port_range</c>, 32768-60999 by default). A port the OS hands out and the test releases before its server
/// binds it can meanwhile become the local port of any outbound connection of the test run ("Address already in use",
/// seen once in CI); ports below that range are never given to outbound connections. Each port is handed out once per
/// test process, and only if nothing listens on it when it is handed out.
/// </summary>
internal static class TestPorts
{
    private const int First = 20_000;
    private const int Count = 12_000;

    private static int _handedOut = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var tried = 0; tried < Count; tried++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _handedOut) % Count);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free TCP port from {First} to {First + Count - 1} on loopback.");
    }

    public static int[] Next(int count) => [.. Enumerable.Range(0, count).Select(_ => Next())];

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
