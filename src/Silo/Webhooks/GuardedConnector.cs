using System.Net;
using System.Net.Sockets;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// The connect step of the webhook client: resolves the destination's host itself and connects only to addresses the
/// network policy allows, so a host name that resolves to a private address at delivery time (DNS rebinding) is
/// refused as surely as one that did so when the destination was set.
/// </summary>
internal sealed class GuardedConnector(WebhookNetworkPolicy policy)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = policy.AllowPrivateNetworks ? addresses : addresses.Where(DestinationAddresses.IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"The destination host resolves to no address this deployment posts to (loopback, link-local and private addresses are refused).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
