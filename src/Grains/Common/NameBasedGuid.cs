using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansShare.Grains.Common;

/// <summary>Name-based (version 5, SHA-1) UUIDs: the same namespace and name always give the same id.</summary>
public static class NameBasedGuid
{
    /// <summary>Namespace of the clone session ids of earlier versions, which were derived from share token ids.</summary>
    public static readonly Guid ImportedSessions = new("5d0f6c1e-8a47-4b8e-9a51-0c2d3e4f5a6b");

    /// <summary>Namespace of clone session ids derived from the source session and the importing application.</summary>
    public static readonly Guid Imports = new("9b3c2f60-71d4-4e0a-8c5e-2a6f1d7e4b93");

    /// <summary>
    /// The id of the one session that <paramref name="sourceSessionId"/> can be imported as in
    /// <paramref name="importerApplicationId"/>: whichever token imports it, storage holds one row under this id.
    /// </summary>
    public static Guid ForImport(Guid sourceSessionId, Guid importerApplicationId) =>
        Create(Imports, string.Create(CultureInfo.InvariantCulture, $"{sourceSessionId:N}/{importerApplicationId:N}"));

    public static Guid Create(Guid namespaceId, string name)
    {
        Span<byte> namespaceBytes = stackalloc byte[16];
        namespaceId.TryWriteBytes(namespaceBytes, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        namespaceBytes.CopyTo(input);
        nameBytes.CopyTo(input.AsSpan(16));

        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 9562 defines version-5 UUIDs on SHA-1; this is naming, not security.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
