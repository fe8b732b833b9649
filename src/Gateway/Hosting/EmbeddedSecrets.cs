using System.Security.Cryptography;
using System.Text.Json;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// Secrets the embedded mode makes for itself on first start, kept in the data directory: the share-token
/// signing key (it must be kept to verify tokens), the master key of encryption at rest (it must be kept to read
/// sessions) and the hash of the generated admin key (the key itself is only printed once).
/// </summary>
internal static class EmbeddedSecrets
{
    private const string SigningKeysFile = "share-token-keys.json";
    private const string StorageKeysFile = "storage-encryption-keys.json";
    private const string AdminKeyHashFile = "admin-key.sha256";

    public static Dictionary<string, string> LoadOrCreateSigningKeys(string dataDirectory, TimeProvider time)
    {
        var path = Path.Combine(dataDirectory, SigningKeysFile);
        if (File.Exists(path))
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path} holds no signing keys; delete it to generate a new key (tokens minted with the old one stop working).");
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [$"embedded-{time.GetUtcNow():yyyyMMdd}"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        WriteSecretFile(path, JsonSerializer.Serialize(keys));
        return keys;
    }

    /// <summary>
    /// The master keys of encryption at rest kept in the data folder (key id to base64 of 32 bytes): made on first
    /// start when <paramref name="create"/>; null when there is no such file and <paramref name="create"/> is false.
    /// Losing this file loses the personal data of every stored session: back it up with the database.
    /// </summary>
    public static Dictionary<string, string>? LoadStorageKeys(string dataDirectory, TimeProvider time, bool create)
    {
        var path = Path.Combine(dataDirectory, StorageKeysFile);
        if (File.Exists(path))
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path} holds no encryption keys; restore it from a backup (the sessions stored cannot be read without it).");
        }

        if (!create)
        {
            return null;
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [$"embedded-{time.GetUtcNow():yyyyMMdd}"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        WriteSecretFile(path, JsonSerializer.Serialize(keys));
        return keys;
    }

    /// <summary>The stored admin key hash, or a new key (returned once, to be printed) whose hash is stored.</summary>
    public static (byte[] Hash, string? GeneratedKey) LoadOrCreateAdminKey(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, AdminKeyHashFile);
        if (File.Exists(path))
        {
            return (Convert.FromHexString(File.ReadAllText(path).Trim()), null);
        }

        var key = "osk_admin_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
        WriteSecretFile(path, Convert.ToHexStringLower(hash));
        return (hash, key);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void WriteSecretFile(string path, string content)
    {
        OwnerOnlyFiles.CreateFolder(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, System.Text.Encoding.UTF8, OwnerOnlyFiles.NewFile());
        writer.Write(content);
    }
}
