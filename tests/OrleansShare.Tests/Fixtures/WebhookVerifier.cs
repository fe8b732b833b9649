using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A receiver's check of a delivery, written from API.md alone (not with the service's signer): the lowercase hex
/// HMAC-SHA256 of the raw body bytes, keyed by the UTF-8 of <c>secret_shared_key</c>, equals <c>X-Signature-V2</c>.
/// </summary>
public static class WebhookVerifier
{
    public static bool IsSignedBy(ReceivedWebhook webhook, string secret)
    {
        if (!webhook.Headers.TryGetValue("X-Signature-V2", out var header))
        {
            return false;
        }

        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = hmac.ComputeHash(webhook.Body);
        var hex = new StringBuilder(expected.Length * 2);
        foreach (var b in expected)
        {
            hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hex.ToString()), Encoding.ASCII.GetBytes(header));
    }
}
