using System.Buffers.Binary;
using System.Text;
using Orleans.Storage;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// The identity columns of one grain's row in the Orleans ADO.NET storage table, derived exactly as the stock
/// <c>AdoNetGrainStorage</c> (10.x) derives them, so both providers find and write the same rows:
/// <list type="bullet">
/// <item>a Guid key (with an optional extension): N0 and N1 are the Guid's 16 bytes read as two little-endian
/// int64s, the extension is the part after <c>+</c>;</item>
/// <item>an integer key, which includes every string key that parses as hexadecimal ("20235"): N0 = 0, N1 = the
/// number, the extension as above;</item>
/// <item>any other string key: N0 = N1 = 0 and the whole key is the extension.</item>
/// </list>
/// The grain id hash is the default Orleans storage hash of the key bytes (Guid bytes or int64 bytes, then the
/// UTF-8 extension) reversed; the type hash is that hash of the UTF-8 state name, not reversed.
/// </summary>
internal sealed record StorageKey(
    string StateName, long N0, long N1, string? Extension, int GrainIdHash, int GrainTypeHash)
{
    private static readonly OrleansDefaultHasher Hasher = new();

    public static StorageKey Create(string stateName, GrainId grainId)
    {
        // The stock provider strips generic arguments from a CLR type name here; state names are plain strings.
        if (stateName.Contains('`', StringComparison.Ordinal))
        {
            throw new ArgumentException($"State name '{stateName}' looks like a generic type name; group-commit storage takes plain state names.", nameof(stateName));
        }

        long n0 = 0, n1 = 0;
        string? extension;
        byte[] keyBytes;
        if (grainId.TryGetGuidKey(out var guid, out extension))
        {
            keyBytes = guid.ToByteArray();
            n0 = BinaryPrimitives.ReadInt64LittleEndian(keyBytes.AsSpan(0, 8));
            n1 = BinaryPrimitives.ReadInt64LittleEndian(keyBytes.AsSpan(8, 8));
        }
        else if (grainId.TryGetIntegerKey(out var integer, out extension))
        {
            n1 = integer;
            keyBytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(keyBytes, integer);
        }
        else
        {
            extension = grainId.Key.ToString();
            keyBytes = [];
        }

        var hashBytes = extension is null ? keyBytes : [.. keyBytes, .. Encoding.UTF8.GetBytes(extension)];
        Array.Reverse(hashBytes);
        return new StorageKey(stateName, n0, n1, extension, Hasher.Hash(hashBytes), Hasher.Hash(Encoding.UTF8.GetBytes(stateName)));
    }

    /// <summary>
    /// The row for messages and logs: its state name and grain id hash. Not the key itself: some grain keys carry
    /// data we never log (vendor data in entity keys).
    /// </summary>
    public override string ToString() => $"'{StateName}' grain with id hash {GrainIdHash}";
}
