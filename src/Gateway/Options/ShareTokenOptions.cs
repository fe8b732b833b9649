namespace OrleansShare.Gateway.Options;

/// <summary>
/// The <c>ShareTokens</c> section. <c>ShareTokens__SigningKeys__&lt;kid&gt;</c> are HS256 keys (32+ random bytes,
/// base64). All of them verify; the active one signs: <c>ShareTokens__ActiveKeyId</c>, or else the greatest kid
/// in ordinal order (name kids by date, e.g. <c>2026-11</c>, and the newest signs).
/// </summary>
public sealed class ShareTokenOptions
{
    public const string SectionName = "ShareTokens";

    public Dictionary<string, string> SigningKeys { get; set; } = new(StringComparer.Ordinal);

    public string? ActiveKeyId { get; set; }
}
