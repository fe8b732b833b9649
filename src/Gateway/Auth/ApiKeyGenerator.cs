using System.Security.Cryptography;
using OrleansShare.Gateway.Hosting;

namespace OrleansShare.Gateway.Auth;

/// <summary>New API keys: 32 random bytes, base64url, with a recognisable prefix for secret scanners.</summary>
internal static class ApiKeyGenerator
{
    public static string NewKey() => "osk_" + EmbeddedSecrets.Base64Url(RandomNumberGenerator.GetBytes(32));
}
