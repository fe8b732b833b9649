using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Silo.Webhooks;

/// <summary><c>X-Signature-V2</c>: lowercase hex HMAC-SHA256 of the canonical body, keyed by the UTF-8 of <c>secret_shared_key</c>.</summary>
public static class WebhookSignature
{
    public static string Sign(string secret, ReadOnlySpan<byte> canonicalBody) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), canonicalBody));
}
