using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Grains.Sharing;

/// <summary>
/// The grain key of a share token: its <c>jti</c>, or the SHA-256 of the token text when it has none.
/// The letter prefixes keep the two spaces apart and keep Orleans from reading a key as a number.
/// </summary>
public static class ShareTokenKey
{
    public static string FromJti(string jti) => "t" + jti;

    public static string FromTokenText(string token) => "h" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>How audit entries name a token: its <c>jti</c>, or <c>sha256:&lt;hex&gt;</c> of a token without one.</summary>
    public static string ToTokenId(string grainKey) => grainKey.StartsWith('h') ? "sha256:" + grainKey[1..] : grainKey[1..];
}
