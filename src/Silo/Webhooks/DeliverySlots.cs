using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OrleansShare.Silo.Webhooks;

/// <summary>
/// This silo's posts in flight: at most <see cref="WebhookOptions.MaxConcurrency"/> in all (<see cref="Silo"/>, shared
/// by claimed deliveries and first attempts), and at most <see cref="WebhookOptions.PerDestinationConcurrency"/> first
/// attempts per destination. Claimed deliveries are bounded per destination cluster-wide by their leases instead.
/// </summary>
internal sealed class DeliverySlots(IOptions<WebhookOptions> options)
{
    private readonly int _perDestination = options.Value.PerDestinationConcurrency;
    private readonly ConcurrentDictionary<Guid, int> _firstAttempts = new();

    public SemaphoreSlim Silo { get; } = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);

    /// <summary>Takes a slot for a first attempt to <paramref name="destinationId"/> if one is free now.</summary>
    public bool TryTakeFirstAttempt(Guid destinationId)
    {
        if (!Silo.Wait(0))
        {
            return false;
        }

        while (true)
        {
            var count = _firstAttempts.GetOrAdd(destinationId, 0);
            if (count >= _perDestination)
            {
                Silo.Release();
                return false;
            }

            if (_firstAttempts.TryUpdate(destinationId, count + 1, count))
            {
                return true;
            }
        }
    }

    /// <summary>Gives back the slot a first attempt to <paramref name="destinationId"/> took.</summary>
    public void ReturnFirstAttempt(Guid destinationId)
    {
        _firstAttempts.AddOrUpdate(destinationId, 0, (_, count) => count - 1);
        Silo.Release();
    }
}
