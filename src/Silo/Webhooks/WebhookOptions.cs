namespace OrleansShare.Silo.Webhooks;

/// <summary>The <c>Webhooks</c> section: who may be a destination, and how deliveries are posted and retried.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// <c>Webhooks__AllowPrivateNetworks</c>: whether a destination may resolve to a loopback, link-local or private
    /// address. Unset: allowed in embedded mode (local trials), refused in cluster mode.
    /// </summary>
    public bool? AllowPrivateNetworks { get; set; }

    /// <summary><c>Webhooks__Timeout</c>: how long one delivery attempt may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Webhooks__RetryBaseDelay</c>: the wait after a first failed attempt; it doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Webhooks__RetryMaxDelay</c>: the longest wait between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary><c>Webhooks__RetryFor</c>: how long after its event a delivery is still retried before it is <c>failed</c>.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>Webhooks__PollInterval</c>: how often each silo looks for new events and deliveries due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>Webhooks__MaxConcurrency</c>: deliveries one silo posts at once.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>
    /// <c>Webhooks__PerDestinationConcurrency</c>: claimed deliveries in flight to one destination across the cluster,
    /// and first attempts in flight to it per silo, so that a destination that hangs holds few of a silo's slots.
    /// </summary>
    public int PerDestinationConcurrency { get; set; } = 16;

    /// <summary><c>Webhooks__BatchSize</c>: events fanned out, or deliveries claimed, per query.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary><c>Webhooks__DeliveryRetention</c>: how long a delivered or failed delivery stays in the delivery log.</summary>
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The effective <see cref="AllowPrivateNetworks"/> for a host in <paramref name="embedded"/> mode or not.</summary>
    public bool PrivateNetworksAllowed(bool embedded) => AllowPrivateNetworks ?? embedded;
}
