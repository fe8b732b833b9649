using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Silo.Storage.Encryption;

/// <summary>
/// The master keys of encryption at rest, from <c>Storage__EncryptionKeys__&lt;kid&gt;</c> (base64 of 32 bytes each):
/// every one unwraps the data keys it wrapped; <see cref="EncryptingKid"/> wraps the new ones. That one is
/// <c>Storage__EncryptionKeyId</c>, or the only key when just one is set. Key ids are case-insensitive (kept lower-case).
/// Master keys live only in configuration (or, in embedded mode, in the data folder), never in the database.
/// </summary>
public sealed partial class MasterKeys
{
    public const int KeySize = 32;

    private readonly Dictionary<string, byte[]> _keys;

    private MasterKeys(Dictionary<string, byte[]> keys, string encryptingKid)
    {
        _keys = keys;
        EncryptingKid = encryptingKid;
    }

    /// <summary>The key id whose key wraps new data keys (the newest).</summary>
    public string EncryptingKid { get; }

    /// <summary>Every configured key id, lower-case.</summary>
    public IReadOnlyCollection<string> Kids => _keys.Keys;

    public bool TryGet(string kid, out byte[] key) => _keys.TryGetValue(kid, out key!);

    /// <summary>Keys given directly (tests): <paramref name="keys"/> by key id, <paramref name="encryptingKid"/> among them.</summary>
    public static MasterKeys Create(IReadOnlyDictionary<string, byte[]> keys, string encryptingKid)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var options = new StorageOptions { EncryptionKeyId = encryptingKid };
        foreach (var (kid, key) in keys)
        {
            options.EncryptionKeys[kid] = Convert.ToBase64String(key);
        }

        return From(options) ?? throw new ArgumentException("No keys given.", nameof(keys));
    }

    /// <summary>The keys <paramref name="storage"/> configures, null when none; fails naming the setting to fix.</summary>
    public static MasterKeys? From(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var errors = new List<string>();
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, value) in storage.EncryptionKeys)
        {
            if (!KidPattern().IsMatch(name))
            {
                errors.Add($"Storage__EncryptionKeys__{name}: a key id is 1 to 64 letters, digits, '-' or '_'.");
                continue;
            }

            var kid = name.ToLowerInvariant();
            var key = new byte[KeySize];
            if (!Convert.TryFromBase64String(value ?? "", key, out var written) || written != KeySize)
            {
                errors.Add($"Storage__EncryptionKeys__{name} must be the base64 of 32 random bytes, such as the output of: openssl rand -base64 32");
            }
            else if (!keys.TryAdd(kid, key))
            {
                errors.Add($"Storage__EncryptionKeys__{name} is set twice (key ids are case-insensitive).");
            }
        }

        var encrypting = storage.EncryptionKeyId?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(encrypting))
        {
            encrypting = null;
            if (keys.Count > 1)
            {
                errors.Add($"Storage__EncryptionKeyId must name the key that encrypts new data when several Storage__EncryptionKeys are set ({string.Join(", ", keys.Keys.Order(StringComparer.Ordinal))}).");
            }
        }
        else if (errors.Count == 0 && !keys.ContainsKey(encrypting))
        {
            errors.Add(keys.Count == 0
                ? $"Storage__EncryptionKeyId is '{storage.EncryptionKeyId}' but no Storage__EncryptionKeys__<kid> is set."
                : $"Storage__EncryptionKeyId is '{storage.EncryptionKeyId}', which is not one of the Storage__EncryptionKeys ({string.Join(", ", keys.Keys.Order(StringComparer.Ordinal))}).");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(StorageOptions.SectionName, typeof(StorageOptions), errors);
        }

        return keys.Count == 0 ? null : new MasterKeys(keys, encrypting ?? keys.Keys.Single());
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex KidPattern();
}
