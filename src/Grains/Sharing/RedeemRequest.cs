using System.Collections.Immutable;
using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// A validated import: the token's claims and what the importer asked for. <see cref="CallId"/> names the caller's
/// request, the same on every repeat of it, so that a repeat after a lost answer gets the answer the first call earned.
/// </summary>
[GenerateSerializer, Immutable, Alias("sharing.RedeemRequest")]
public sealed record RedeemRequest(
    [property: Id(0)] Guid ImporterApplicationId,
    [property: Id(1)] Guid SourceApplicationId,
    [property: Id(2)] Guid SourceSessionId,
    [property: Id(3)] SessionKind Kind,
    [property: Id(4)] bool? TrustReview,
    [property: Id(5)] Guid? WorkflowId,
    [property: Id(6)] string? VendorData,
    [property: Id(7)] string Actor,
    [property: Id(8)] Guid? CallId = null,
    [property: Id(9)] string? Purpose = null,
    [property: Id(10)] ImmutableArray<string>? Scope = null,
    [property: Id(11)] DateTimeOffset? ExpiresAt = null);
