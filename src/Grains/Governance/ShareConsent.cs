namespace OrleansShare.Grains.Governance;

/// <summary>When and how the person agreed to a share (API.md, Share governance).</summary>
[GenerateSerializer, Immutable, Alias("governance.ShareConsent")]
public sealed record ShareConsent(
    [property: Id(0)] DateTimeOffset ObtainedAt,
    [property: Id(1)] string Method,
    [property: Id(2)] string? Reference);
