using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Grains.ApiKeys;

/// <summary>API keys are stored and looked up only by their SHA-256 hash.</summary>
public static class ApiKeyHash
{
    /// <summary>The grain key of an API key: a letter prefix (so Orleans never reads it as a number) and the hex hash.</summary>
    public static string GrainKey(string apiKey) => "k" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
}
