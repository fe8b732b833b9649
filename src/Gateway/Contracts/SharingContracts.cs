namespace OrleansShare.Gateway.Contracts;

public sealed record ShareResponse(
    string ShareToken, string TokenId, Guid ForApplicationId, string SessionKind, DateTimeOffset ExpiresAt, string? Purpose, IReadOnlyList<string>? Scope);

public sealed record TrustPolicyResponse(Guid SourceApplicationId, bool TrustReview, DateTimeOffset UpdatedAt);

public sealed record EntityResponse(string VendorData, string Status, IReadOnlyList<Guid> SessionIds, long SessionCount, DateTimeOffset CreatedAt);
