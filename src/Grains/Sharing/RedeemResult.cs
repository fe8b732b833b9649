using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Sharing;

[GenerateSerializer, Immutable, Alias("sharing.RedeemResult")]
public sealed record RedeemResult(
    [property: Id(0)] RedeemStatus Status,
    [property: Id(1)] SessionState? Session)
{
    public static RedeemResult Of(RedeemStatus status) => new(status, null);
}
