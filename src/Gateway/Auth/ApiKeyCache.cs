using System.Collections.Concurrent;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Common;

namespace OrleansShare.Gateway.Auth;

/// <summary>
/// This gateway's memory of live API keys, so that most requests authenticate without a grain call. Only
/// while <see cref="ApiKeyRevocationSubscription"/> keeps it subscribed to revocations is anything served from
/// it; a revocation removes its key before the revoking call answers. Entries also expire after
/// <see cref="EntryLifetime"/>, which bounds staleness if an announcement is lost with a silo. Keys found unknown or
/// revoked are remembered briefly too (<see cref="UnknownApiKeys"/>), whether or not it is subscribed: such a key never
/// becomes valid again.
/// </summary>
internal sealed class ApiKeyCache(IGrainFactory grains, TimeProvider time) : IApiKeyRevocationObserver
{
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(30);

    /// <summary>Beyond this many keys, new ones are not remembered (a flood of distinct keys cannot grow memory).</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private readonly UnknownApiKeys _unknown = new(time);

    /// <summary>Lookups under way, by key: concurrent requests of one key not in memory share one grain call.</summary>
    private readonly ConcurrentDictionary<string, Task<ApiKeyIdentity?>> _lookups = new(StringComparer.Ordinal);

    private readonly Lock _lookupGate = new();

    /// <summary>Bumped by every revocation and every clear: a lookup that overlapped one does not keep its answer.</summary>
    private long _generation;

    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private volatile bool _enabled;

    /// <summary>Whether keys are served from memory now (subscribed to revocations).</summary>
    public bool IsServing => _enabled;

    /// <summary>Completes when the cache first serves from memory (subscribed to revocations).</summary>
    public Task Serving => _serving.Task;

    /// <summary>Whether a live entry for the key is held now.</summary>
    public bool Remembers(string apiKeyGrainKey) => Live(apiKeyGrainKey) is not null;

    /// <summary>
    /// Answers from memory when it can: true with the identity of a live key, or true with null for a key recently found
    /// unknown or revoked; false when only the key's grain can tell.
    /// </summary>
    public bool TryAnswerFromMemory(string apiKeyGrainKey, out ApiKeyIdentity? identity)
    {
        identity = Live(apiKeyGrainKey);
        return identity is not null || _unknown.Contains(apiKeyGrainKey);
    }

    /// <summary>The identity of a live key (<paramref name="apiKeyGrainKey"/> is its hash); null when unknown or revoked.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string apiKeyGrainKey)
    {
        if (TryAnswerFromMemory(apiKeyGrainKey, out var cached))
        {
            return cached;
        }

        var generation = Interlocked.Read(ref _generation);
        var identity = await grains.Reference<IApiKeyGrain>(apiKeyGrainKey).Authenticate();
        if (identity is null)
        {
            _unknown.Remember(apiKeyGrainKey);
        }
        else if (_enabled && _entries.Count < MaxEntries)
        {
            var entry = new Entry(identity, time.GetUtcNow() + EntryLifetime);
            _entries[apiKeyGrainKey] = entry;

            // Revocations bump the generation before they remove: one that arrived since the grain answered may
            // have found nothing to remove yet, so take the entry back out.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(KeyValuePair.Create(apiKeyGrainKey, entry));
            }
        }

        return identity;
    }

    /// <summary>
    /// The identity of a key not answered from memory, from its grain: a lookup of the same key already under way is
    /// joined (the first requests of a client's burst make one grain call and take one permit), otherwise one is started
    /// if <paramref name="mayStart"/> allows it. Null when it does not (the caller answers 429).
    /// </summary>
    public Task<ApiKeyIdentity?>? LookUp(string apiKeyGrainKey, Func<bool> mayStart)
    {
        TaskCompletionSource<ApiKeyIdentity?> started;
        lock (_lookupGate)
        {
            // One decision at a time: requests of one key that arrive together join one lookup and take one permit.
            if (_lookups.TryGetValue(apiKeyGrainKey, out var running))
            {
                return running;
            }

            if (!mayStart())
            {
                return null;
            }

            started = new TaskCompletionSource<ApiKeyIdentity?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _lookups[apiKeyGrainKey] = started.Task;
        }

        _ = CompleteLookupAsync(apiKeyGrainKey, started);
        return started.Task;
    }

    private async Task CompleteLookupAsync(string apiKeyGrainKey, TaskCompletionSource<ApiKeyIdentity?> lookup)
    {
        try
        {
            lookup.SetResult(await AuthenticateAsync(apiKeyGrainKey));
        }
        catch (Exception ex)
        {
            lookup.SetException(ex);
        }
        finally
        {
            _lookups.TryRemove(KeyValuePair.Create(apiKeyGrainKey, lookup.Task));
        }
    }

    Task IApiKeyRevocationObserver.Revoked(string apiKeyGrainKey)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(apiKeyGrainKey, out _);
        return Task.CompletedTask;
    }

    /// <summary>Serve from memory again (subscribed); <paramref name="clear"/> first when announcements may have been missed.</summary>
    public void Enable(bool clear)
    {
        if (clear)
        {
            Clear();
        }

        _enabled = true;
        _serving.TrySetResult();
    }

    /// <summary>Not subscribed: forget everything and ask the grains until subscribed again.</summary>
    public void Disable()
    {
        _enabled = false;
        Clear();
    }

    /// <summary>Drops expired entries.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    private ApiKeyIdentity? Live(string apiKeyGrainKey) =>
        _enabled && _entries.TryGetValue(apiKeyGrainKey, out var entry) && entry.ExpiresAt > time.GetUtcNow() ? entry.Identity : null;

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private sealed record Entry(ApiKeyIdentity Identity, DateTimeOffset ExpiresAt);
}
