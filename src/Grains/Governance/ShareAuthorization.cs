namespace OrleansShare.Grains.Governance;

/// <summary>A share as its application's sharing policy sees it.</summary>
[GenerateSerializer, Immutable, Alias("governance.ShareAuthorizationRequest")]
public sealed record ShareAuthorizationRequest(
    [property: Id(0)] Guid PartnerApplicationId,
    [property: Id(1)] long? TtlSeconds,
    [property: Id(2)] bool HasPurpose,
    [property: Id(3)] bool HasConsent);

/// <summary>
/// The policy's answer: the lifetime the share gets, or the rule it breaks (<see cref="Rule"/> names the policy field)
/// and why.
/// </summary>
[GenerateSerializer, Immutable, Alias("governance.ShareAuthorization")]
public sealed record ShareAuthorization(
    [property: Id(0)] long TtlSeconds,
    [property: Id(1)] string? Rule = null,
    [property: Id(2)] string? Reason = null)
{
    public bool Allowed => Rule is null;
}
