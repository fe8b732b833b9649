using System.Collections.Immutable;

namespace OrleansShare.Grains.Webhooks;

/// <summary>The events a webhook destination can subscribe to (API.md, Webhooks).</summary>
public static class WebhookEvents
{
    public const string StatusUpdated = "status.updated";

    public static readonly ImmutableArray<string> All = [StatusUpdated];

    public static bool IsKnown(string name) => All.Contains(name);
}
