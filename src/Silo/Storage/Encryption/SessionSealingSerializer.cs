using System.Buffers;
using System.Buffers.Text;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Silo.Storage.Encryption;

/// <summary>
/// The grain storage serializer: the JSON one, except that a session's personal data — its decision sections,
/// <c>metadata</c>, <c>expected_details</c> and <c>contact_details</c> — is stored sealed. Those members are written
/// empty and their JSON is encrypted (AES-256-GCM) into one <c>sealed</c> member written first:
/// <c>"sealed":"v1.&lt;kid&gt;.&lt;base64 of nonce | ciphertext | tag&gt;"</c>. The key is derived (HKDF-SHA256) for the
/// session from its application's data key under master key <c>kid</c> (see <see cref="DataKeyRing"/>), so nonces
/// are random per write of one session, never counted against a key every session of an application shares; the
/// authenticated data names the application, the session and the kid, so a sealed member moved to another row does
/// not open. Everything the storage triggers read (ids, number, kind, status, vendor_data, workflow, dates, deleted,
/// the redemption markers) stays in clear. Reading gives back exactly the state that was written; rows without
/// <c>sealed</c> (written before encryption, or with nothing to seal) read as before; every other state type is the
/// JSON serializer's.
/// </summary>
public sealed class SessionSealingSerializer : IGrainStorageSerializer
{
    private static readonly byte[] SealedPrefix = "{\"sealed\":\"v1."u8.ToArray();

    private static readonly JsonSerializerOptions MembersJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IGrainStorageSerializer _inner;
    private readonly JsonSerializerOptions _stateJson;
    private readonly DataKeyRing? _keys;

    /// <param name="inner">The JSON serializer every other state type, and the clear part of a session, go through.</param>
    /// <param name="stateJson">The options <paramref name="inner"/> serializes with.</param>
    /// <param name="keys">The data keys; null when no master key is configured: sessions are then written in clear.</param>
    public SessionSealingSerializer(IGrainStorageSerializer inner, JsonSerializerOptions stateJson, DataKeyRing? keys)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(stateJson);
        _inner = inner;
        _stateJson = stateJson;
        _keys = keys;
    }

    public BinaryData Serialize<T>(T? input) =>
        input is SessionState session && _keys is not null && HasPersonalData(session) ? Seal(session, _keys) : _inner.Serialize(input);

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (typeof(T) == typeof(SessionState))
        {
            var payload = input.ToMemory().Span;
            if (payload.StartsWith(SealedPrefix))
            {
                return (T)(object)Open(payload);
            }
        }

        return _inner.Deserialize<T>(input);
    }

    private static bool HasPersonalData(SessionState session) =>
        session.Metadata is not null || session.ExpectedDetails is not null || session.ContactDetails is not null || !session.Sections.IsEmpty;

    private BinaryData Seal(SessionState session, DataKeyRing keys)
    {
        var kid = keys.EncryptingKid;
        var dataKey = keys.ForEncryption(session.ApplicationId);
        var plain = JsonSerializer.SerializeToUtf8Bytes(
            new SealedMembers(session.Metadata, session.ExpectedDetails, session.ContactDetails, session.Sections), MembersJson);
        var clear = _inner.Serialize(session with
        {
            Metadata = null,
            ExpectedDetails = null,
            ContactDetails = null,
            Sections = ImmutableDictionary<string, string>.Empty,
        }).ToMemory().Span;
        var open = clear.IndexOf((byte)'{');
        var rest = clear[(open + 1)..];

        var sealedLength = DataKeyRing.NonceSize + plain.Length + DataKeyRing.TagSize;
        var sealedBytes = ArrayPool<byte>.Shared.Rent(sealedLength);
        try
        {
            var box = sealedBytes.AsSpan(0, sealedLength);
            RandomNumberGenerator.Fill(box[..DataKeyRing.NonceSize]);
            using (var aes = SessionCipher(dataKey, session.SessionId))
            {
                aes.Encrypt(box[..DataKeyRing.NonceSize], plain, box.Slice(DataKeyRing.NonceSize, plain.Length), box[^DataKeyRing.TagSize..],
                    AuthenticatedData(session.ApplicationId, session.SessionId, kid));
            }

            // {"sealed":"v1.<kid>.<base64>", then the clear JSON after its opening brace (a comma only when it has members).
            var kidBytes = Encoding.ASCII.GetBytes(kid);
            var base64Length = Base64.GetMaxEncodedToUtf8Length(sealedLength);
            var hasMembers = rest.TrimStart(" \t\r\n"u8).IndexOf((byte)'}') != 0;
            var output = new byte[SealedPrefix.Length + kidBytes.Length + 1 + base64Length + 1 + (hasMembers ? 1 : 0) + rest.Length];
            var at = 0;
            SealedPrefix.CopyTo(output, at);
            at += SealedPrefix.Length;
            kidBytes.CopyTo(output, at);
            at += kidBytes.Length;
            output[at++] = (byte)'.';
            Base64.EncodeToUtf8(box, output.AsSpan(at), out _, out var written);
            at += written;
            output[at++] = (byte)'"';
            if (hasMembers)
            {
                output[at++] = (byte)',';
            }

            rest.CopyTo(output.AsSpan(at));
            return new BinaryData(output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedBytes);
        }
    }

    private SessionState Open(ReadOnlySpan<byte> payload)
    {
        var afterPrefix = payload[SealedPrefix.Length..];
        var dot = afterPrefix.IndexOf((byte)'.');
        var quote = afterPrefix.IndexOf((byte)'"');
        if (dot <= 0 || quote <= dot)
        {
            throw new InvalidOperationException("A stored session's sealed member is not 'v1.<kid>.<base64>'.");
        }

        var kid = Encoding.ASCII.GetString(afterPrefix[..dot]);
        var encoded = afterPrefix[(dot + 1)..quote];
        var tail = afterPrefix[(quote + 1)..];
        if (!tail.IsEmpty && tail[0] == (byte)',')
        {
            tail = tail[1..];
        }

        if (_keys is null)
        {
            throw new InvalidOperationException(
                $"A stored session is sealed under master key '{kid}' and no encryption key is configured: set Storage__EncryptionKeys__{kid}.");
        }

        // The clear part: the stored JSON without its sealed member.
        var rented = ArrayPool<byte>.Shared.Rent(1 + tail.Length + Base64.GetMaxDecodedFromUtf8Length(encoded.Length) * 2);
        try
        {
            rented[0] = (byte)'{';
            tail.CopyTo(rented.AsSpan(1));
            var clear = JsonSerializer.Deserialize<SessionState>(rented.AsSpan(0, 1 + tail.Length), _stateJson)
                ?? throw new InvalidOperationException("A stored session is JSON null.");

            var boxSpace = rented.AsSpan(1 + tail.Length);
            if (Base64.DecodeFromUtf8(encoded, boxSpace, out _, out var boxLength) != OperationStatus.Done
                || boxLength < DataKeyRing.NonceSize + DataKeyRing.TagSize)
            {
                throw new InvalidOperationException($"The sealed member of session {clear.SessionId} is not valid base64 of nonce, ciphertext and tag.");
            }

            var box = boxSpace[..boxLength];
            var plain = boxSpace.Slice(boxLength, boxLength - DataKeyRing.NonceSize - DataKeyRing.TagSize);
            var dataKey = _keys.ForDecryption(clear.ApplicationId, kid);
            using (var aes = SessionCipher(dataKey, clear.SessionId))
            {
                try
                {
                    aes.Decrypt(box[..DataKeyRing.NonceSize], box[DataKeyRing.NonceSize..^DataKeyRing.TagSize], box[^DataKeyRing.TagSize..], plain,
                        AuthenticatedData(clear.ApplicationId, clear.SessionId, kid));
                }
                catch (AuthenticationTagMismatchException ex)
                {
                    throw new InvalidOperationException(
                        $"The sealed member of session {clear.SessionId} (application {clear.ApplicationId}, key '{kid}') does not open: it was altered or belongs to another row.", ex);
                }
            }

            var members = JsonSerializer.Deserialize<SealedMembers>(plain, MembersJson)
                ?? throw new InvalidOperationException($"The sealed member of session {clear.SessionId} holds JSON null.");
            CryptographicOperations.ZeroMemory(plain);
            return clear with
            {
                Metadata = members.Metadata,
                ExpectedDetails = members.ExpectedDetails,
                ContactDetails = members.ContactDetails,
                Sections = members.Sections ?? ImmutableDictionary<string, string>.Empty,
            };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>AES-256-GCM under the session's own key: HKDF-SHA256 expansion of the application's data key with the session id.</summary>
    private static AesGcm SessionCipher(byte[] dataKey, Guid sessionId)
    {
        Span<byte> info = stackalloc byte[24 + 16];
        "orleansshare/session/v1/"u8.CopyTo(info);
        sessionId.TryWriteBytes(info[24..], bigEndian: true, out _);
        Span<byte> sessionKey = stackalloc byte[MasterKeys.KeySize];
        HKDF.Expand(HashAlgorithmName.SHA256, dataKey, sessionKey, info);
        var aes = new AesGcm(sessionKey, DataKeyRing.TagSize);
        CryptographicOperations.ZeroMemory(sessionKey);
        return aes;
    }

    private static byte[] AuthenticatedData(Guid applicationId, Guid sessionId, string kid) =>
        Encoding.UTF8.GetBytes($"orleansshare/session/v1/{applicationId:D}/{sessionId:D}/{kid}");

    /// <summary>The sealed members of a session, as encrypted.</summary>
    private sealed record SealedMembers(
        [property: JsonPropertyName("metadata")] string? Metadata,
        [property: JsonPropertyName("expected_details")] string? ExpectedDetails,
        [property: JsonPropertyName("contact_details")] string? ContactDetails,
        [property: JsonPropertyName("sections")] ImmutableDictionary<string, string>? Sections);
}
