using System.Collections.Concurrent;
using OrleansShare.Grains.Sharing;

namespace OrleansShare.Tests.Fixtures;

/// <summary>Stops the redemption of a chosen token once after a chosen step, as a crash there would.</summary>
public sealed class TestRedemptionInterruptions : IRedemptionInterruptions
{
    private readonly ConcurrentDictionary<string, RedemptionStep> _planned = new(StringComparer.Ordinal);

    /// <summary>The next redemption of <paramref name="tokenKey"/> stops after <paramref name="step"/>.</summary>
    public void InterruptOnce(string tokenKey, RedemptionStep step) => _planned[tokenKey] = step;

    public void After(RedemptionStep step, string tokenKey)
    {
        if (_planned.TryGetValue(tokenKey, out var planned) && planned == step && _planned.TryRemove(tokenKey, out _))
        {
            throw new InvalidOperationException($"Redemption of {tokenKey} interrupted after {step} (test).");
        }
    }
}
