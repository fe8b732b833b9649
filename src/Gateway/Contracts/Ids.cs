using System.Diagnostics.CodeAnalysis;

namespace OrleansShare.Gateway.Contracts;

/// <summary>Ids on the wire are hyphenated UUIDs (<c>8-4-4-4-12</c> hex digits).</summary>
internal static class Ids
{
    public static bool TryParse([NotNullWhen(true)] string? text, out Guid id)
    {
        id = default;
        return text is { Length: 36 } && Guid.TryParseExact(text, "D", out id);
    }
}
