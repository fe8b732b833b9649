namespace OrleansShare.Grains.Governance;

/// <summary>The shapes API.md's Share governance section gives a share's <c>purpose</c> and <c>consent</c>.</summary>
public static class ShareGovernance
{
    public const int MaxPurposeLength = 64;
    public const int MaxConsentMethodLength = 64;
    public const int MaxConsentReferenceLength = 256;

    /// <summary>A lowercase word of 1-64 characters from <c>a-z</c>, <c>0-9</c>, <c>_</c> and <c>-</c>.</summary>
    public static bool IsPurpose(string text) =>
        text.Length is >= 1 and <= MaxPurposeLength && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');
}
