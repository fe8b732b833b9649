using System.Net;
using System.Net.Sockets;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// Which destination addresses a webhook may reach (API.md, Webhooks: no SSRF). Loopback, link-local, private
/// (RFC 1918, IPv6 unique-local and site-local), shared (RFC 6598), unspecified and multicast addresses are
/// refused unless <c>Webhooks__AllowPrivateNetworks</c> allows them. The gateway checks a url when it is set; every
/// delivery checks again the addresses its host name resolves to at connect time.
/// </summary>
public static class DestinationAddresses
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0
                || b[0] == 10
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || b[0] >= 224);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC); // fc00::/7, unique local
        }

        return false;
    }

    /// <summary>
    /// Why <paramref name="url"/> cannot be a destination, or null when it can: it must be an absolute http or https
    /// url, and unless <paramref name="allowPrivateNetworks"/>, every address its host resolves to must be public.
    /// </summary>
    public static async Task<string?> RefusalAsync(string url, bool allowPrivateNetworks, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            return "Must be an absolute http or https url, such as https://example.com/webhooks.";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, deadline.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return $"The host '{uri.Host}' does not resolve; use a host name with a public address.";
        }

        return addresses.Length == 0 || addresses.Any(a => !IsPublic(a))
            ? $"The host '{uri.Host}' resolves to a loopback, link-local or private address, which this deployment does not post to (Webhooks__AllowPrivateNetworks)."
            : null;
    }
}
