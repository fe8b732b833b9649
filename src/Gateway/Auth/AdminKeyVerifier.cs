using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Gateway.Auth;

/// <summary>Checks <c>x-admin-key</c> against the hash of the operator key, in constant time.</summary>
internal sealed class AdminKeyVerifier(byte[] expectedHash)
{
    public bool IsValid(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(hash, expectedHash);
    }

    public static AdminKeyVerifier ForKey(string key) => new(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
