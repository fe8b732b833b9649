using System.Collections.Concurrent;

namespace OrleansShare.Gateway.Auth;

/// <summary>
/// The keys this gateway was recently told are unknown or revoked, for <see cref="Lifetime"/> each and at most
/// <see cref="Capacity"/> at once, so that a client repeating a bad key costs no grain call and no storage read. Keys
/// are random and a client learns one only from the answer that created it, so a key cannot be asked for before it
/// exists; the short lifetime bounds even that case. When full, new keys are not remembered (memory stays bounded).
/// </summary>
internal sealed class UnknownApiKeys(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    private long _nextSweepTicks;

    public int Count => _expiries.Count;

    /// <summary>Whether <paramref name="apiKeyGrainKey"/> was found unknown less than <see cref="Lifetime"/> ago.</summary>
    public bool Contains(string apiKeyGrainKey) =>
        _expiries.TryGetValue(apiKeyGrainKey, out var expiresAt) && expiresAt > time.GetUtcNow();

    public void Remember(string apiKeyGrainKey)
    {
        var now = time.GetUtcNow();
        if (_expiries.Count >= Capacity)
        {
            Sweep(now);
            if (_expiries.Count >= Capacity)
            {
                return;
            }
        }

        _expiries[apiKeyGrainKey] = now + Lifetime;
    }

    /// <summary>Drops expired entries, at most once per half lifetime however often it is asked.</summary>
    private void Sweep(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweepTicks, (now + Lifetime / 2).UtcTicks, next) != next)
        {
            return;
        }

        foreach (var (key, expiresAt) in _expiries)
        {
            if (expiresAt <= now)
            {
                _expiries.TryRemove(KeyValuePair.Create(key, expiresAt));
            }
        }
    }
}
