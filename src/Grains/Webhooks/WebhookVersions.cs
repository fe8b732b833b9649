using System.Collections.Immutable;

namespace OrleansShare.Grains.Webhooks;

/// <summary>The <c>webhook_version</c> values a destination accepts and echoes; <c>v3</c> when none is given.</summary>
public static class WebhookVersions
{
    public const string Default = "v3";

    public static readonly ImmutableArray<string> All = ["v1", "v2", "v3"];

    public static bool IsKnown(string version) => All.Contains(version);
}
