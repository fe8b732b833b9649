using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Silo.Storage.Encryption;

/// <summary>
/// The data keys of encryption at rest: one random 256-bit key per application and master key, stored in
/// <c>data_key</c> wrapped (AES-256-GCM, its service, application and key id as authenticated data) by that master
/// key, and kept here unwrapped once used, so that no write or read unwraps a key again.
/// <para>
/// Grain storage serializers are synchronous, so a miss loads (or creates) the key synchronously on the caller's
/// thread: one small indexed query (two, plus an insert, for the very first key of an application) at most once
/// per application and master key in the life of a silo. The alternatives cost more than that one blocked
/// thread-pool thread: warming the key before every write and retrying reads on a miss would have to wrap both
/// storage providers (ours and the stock ADO.NET one), and loading every key at start would be a lookup of all
/// applications when a silo starts, still missing the keys other silos create later.
/// </para>
/// </summary>
public sealed class DataKeyRing
{
    /// <summary>nonce (12) | wrapped key (32) | tag (16).</summary>
    private const int WrappedSize = NonceSize + MasterKeys.KeySize + TagSize;

    internal const int NonceSize = 12;
    internal const int TagSize = 16;

    private readonly MasterKeys _masterKeys;
    private readonly DataKeyStore _store;
    private readonly string _serviceId;
    private readonly ConcurrentDictionary<(Guid Application, string Kid), byte[]> _keys = new();
    private readonly ConcurrentDictionary<(Guid Application, string Kid), Lock> _loading = new();

    internal DataKeyRing(MasterKeys masterKeys, DataKeyStore store, string serviceId)
    {
        _masterKeys = masterKeys;
        _store = store;
        _serviceId = serviceId;
    }

    public static DataKeyRing Create(MasterKeys masterKeys, Database database, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(masterKeys);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        return new DataKeyRing(masterKeys, new DataKeyStore(database), serviceId);
    }

    /// <summary>The master key id new data is sealed under.</summary>
    public string EncryptingKid => _masterKeys.EncryptingKid;

    /// <summary>Data keys held unwrapped now (for tests).</summary>
    public int CachedKeys => _keys.Count;

    /// <summary>The application's data key under the newest master key, created when it has none.</summary>
    internal byte[] ForEncryption(Guid applicationId) => Get(applicationId, _masterKeys.EncryptingKid, create: true);

    /// <summary>The application's data key under master key <paramref name="kid"/>, which must exist.</summary>
    internal byte[] ForDecryption(Guid applicationId, string kid) => Get(applicationId, kid, create: false);

    private byte[] Get(Guid applicationId, string kid, bool create)
    {
        if (_keys.TryGetValue((applicationId, kid), out var key))
        {
            return key;
        }

        if (!_masterKeys.TryGet(kid, out var masterKey))
        {
            throw new InvalidOperationException(
                $"A session of application {applicationId} is sealed under master key '{kid}', which is not configured: "
                + $"set Storage__EncryptionKeys__{kid} again (every key that stored rows still use must stay configured).");
        }

        // Misses are rare (once per application and master key); one caller per key at a time keeps racing callers of
        // one silo from each creating it, while other applications' misses go on (a database that does not answer
        // holds only the callers of that key). Silos race through the database (ON CONFLICT DO NOTHING, then read back).
        lock (_loading.GetOrAdd((applicationId, kid), _ => new Lock()))
        {
            if (_keys.TryGetValue((applicationId, kid), out key))
            {
                return key;
            }

            var wrapped = _store.Read(_serviceId, applicationId, kid);
            if (wrapped is null)
            {
                if (!create)
                {
                    throw new InvalidOperationException(
                        $"A session of application {applicationId} is sealed under master key '{kid}', but data_key holds no data key of that application for it.");
                }

                var fresh = RandomNumberGenerator.GetBytes(MasterKeys.KeySize);
                _store.InsertIfAbsent(_serviceId, applicationId, kid, Wrap(masterKey, applicationId, kid, fresh));
                CryptographicOperations.ZeroMemory(fresh);
                wrapped = _store.Read(_serviceId, applicationId, kid)
                    ?? throw new InvalidOperationException($"The data key of application {applicationId} for master key '{kid}' was stored but cannot be read back.");
            }

            key = Unwrap(masterKey, applicationId, kid, wrapped);
            _keys[(applicationId, kid)] = key;
            _loading.TryRemove((applicationId, kid), out _);
            return key;
        }
    }

    private byte[] Wrap(byte[] masterKey, Guid applicationId, string kid, byte[] dataKey)
    {
        var wrapped = new byte[WrappedSize];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(masterKey, TagSize);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceSize, MasterKeys.KeySize), wrapped.AsSpan(NonceSize + MasterKeys.KeySize, TagSize),
            WrappingData(applicationId, kid));
        return wrapped;
    }

    private byte[] Unwrap(byte[] masterKey, Guid applicationId, string kid, byte[] wrapped)
    {
        if (wrapped.Length != WrappedSize)
        {
            throw new InvalidOperationException($"The data key of application {applicationId} for master key '{kid}' is {wrapped.Length} bytes, not {WrappedSize}.");
        }

        var key = new byte[MasterKeys.KeySize];
        using var aes = new AesGcm(masterKey, TagSize);
        try
        {
            aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize, MasterKeys.KeySize), wrapped.AsSpan(NonceSize + MasterKeys.KeySize, TagSize),
                key, WrappingData(applicationId, kid));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidOperationException(
                $"The data key of application {applicationId} does not unwrap with master key '{kid}': Storage__EncryptionKeys__{kid} is not the key it was wrapped with.", ex);
        }

        return key;
    }

    /// <summary>Binds a wrapped key to its service, application and master key id: a row copied elsewhere does not unwrap.</summary>
    private byte[] WrappingData(Guid applicationId, string kid) =>
        Encoding.UTF8.GetBytes($"orleansshare/data-key/v1/{_serviceId}/{applicationId:D}/{kid}");
}
