using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Options;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;

namespace OrleansShare.Gateway.Tokens;

/// <summary>
/// Mints and verifies share tokens: compact JWS, HS256 only, <c>kid</c> naming one of the configured keys.
/// Verification is local (no storage), so a forged, expired or foreign token costs nothing downstream.
/// </summary>
internal sealed class ShareTokenService
{
    private const int MinimumKeyBytes = 32;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly Dictionary<string, SymmetricSecurityKey> _keys;
    private readonly SigningCredentials _signing;
    private readonly TimeProvider _time;

    public ShareTokenService(IOptions<ShareTokenOptions> options, TimeProvider time)
    {
        _time = time;
        var configured = options.Value;
        if (configured.SigningKeys.Count == 0)
        {
            throw new OptionsValidationException(ShareTokenOptions.SectionName, typeof(ShareTokenOptions),
                ["No share-token signing key: set ShareTokens__SigningKeys__<kid> to 32+ random bytes in base64."]);
        }

        _keys = new Dictionary<string, SymmetricSecurityKey>(StringComparer.Ordinal);
        foreach (var (kid, value) in configured.SigningKeys)
        {
            _keys[kid] = new SymmetricSecurityKey(DecodeKey(kid, value)) { KeyId = kid };
        }

        var active = configured.ActiveKeyId ?? _keys.Keys.Max(StringComparer.Ordinal)!;
        if (!_keys.TryGetValue(active, out var activeKey))
        {
            throw new OptionsValidationException(ShareTokenOptions.SectionName, typeof(ShareTokenOptions),
                [$"ShareTokens__ActiveKeyId names '{active}', which is not among ShareTokens__SigningKeys."]);
        }

        _signing = new SigningCredentials(activeKey, SecurityAlgorithms.HmacSha256);
    }

    public string ActiveKeyId => _signing.Key.KeyId;

    /// <summary>Mints a token; <paramref name="jti"/> is also the key of its redemption grain.</summary>
    public string Mint(Guid sessionId, SessionKind kind, Guid fromApplicationId, Guid forApplicationId, DateTimeOffset issuedAt, DateTimeOffset expiresAt, string jti)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("session_id", sessionId.ToString());
            writer.WriteString("session_kind", kind.ToWire());
            writer.WriteString("from_application_id", fromApplicationId.ToString());
            writer.WriteString("for_application_id", forApplicationId.ToString());
            writer.WriteNumber("iat", issuedAt.ToUnixTimeSeconds());
            writer.WriteNumber("exp", expiresAt.ToUnixTimeSeconds());
            writer.WriteString("jti", jti);
            writer.WriteEndObject();
        }

        return _handler.CreateToken(Encoding.UTF8.GetString(buffer.WrittenSpan), _signing);
    }

    /// <summary>Verifies signature, algorithm, <c>kid</c>, expiry and claims. A failure carries a detail for a 401.</summary>
    public async Task<(ShareTokenClaims? Claims, string? Failure)> ValidateAsync(string token)
    {
        var parameters = new TokenValidationParameters
        {
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            LifetimeValidator = (_, expires, _, _) => expires is { } exp && exp > _time.GetUtcNow().UtcDateTime,
            IssuerSigningKeyResolver = (_, _, kid, _) => kid is not null && _keys.TryGetValue(kid, out var key) ? [key] : [],
            TryAllIssuerSigningKeys = false,
        };

        TokenValidationResult result;
        try
        {
            // The algorithm is named before anything else is checked, so that its refusal says why.
            if (new JsonWebToken(token).Alg != SecurityAlgorithms.HmacSha256)
            {
                return (null, "The share token must be signed with HS256.");
            }

            result = await _handler.ValidateTokenAsync(token, parameters);
        }
        catch (ArgumentException)
        {
            return (null, "The share token is not a well-formed JWS.");
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return (null, result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "The share token has expired; ask the sharing partner for a new one.",
                SecurityTokenSignatureKeyNotFoundException => "The share token was not signed with a key this service knows.",
                SecurityTokenInvalidAlgorithmException => "The share token must be signed with HS256.",
                SecurityTokenMalformedException => "The share token is not a well-formed JWS.",
                _ => "The share token's signature is not valid.",
            });
        }

        if (jwt.Alg != SecurityAlgorithms.HmacSha256)
        {
            return (null, "The share token must be signed with HS256.");
        }

        return ReadClaims(jwt, token);
    }

    private static (ShareTokenClaims? Claims, string? Failure) ReadClaims(JsonWebToken jwt, string token)
    {
        if (!TryGuid(jwt, "session_id", out var sessionId) || !TryGuid(jwt, "from_application_id", out var from)
            || !TryGuid(jwt, "for_application_id", out var forApplication))
        {
            return (null, "The share token lacks a valid session_id, from_application_id or for_application_id claim.");
        }

        // Only session_kind and jti may be absent (older tokens); iat is part of every token's payload.
        if (!jwt.TryGetPayloadValue<long>("iat", out _))
        {
            return (null, "The share token lacks a numeric iat claim.");
        }

        var kind = SessionKind.User;
        if (jwt.TryGetPayloadValue<object>("session_kind", out var kindClaim) && kindClaim is not null
            && !(kindClaim is string kindText && SessionKinds.TryParse(kindText, out kind)))
        {
            return (null, "The share token's session_kind claim must be 'user' or 'business'.");
        }

        string redemptionKey;
        if (jwt.TryGetPayloadValue<object>("jti", out var jtiClaim) && jtiClaim is not null)
        {
            if (jtiClaim is not string { Length: > 0 and <= 200 } jti)
            {
                return (null, "The share token's jti claim must be a non-empty string.");
            }

            redemptionKey = ShareTokenKey.FromJti(jti);
        }
        else
        {
            redemptionKey = ShareTokenKey.FromTokenText(token);
        }

        return (new ShareTokenClaims(sessionId, kind, from, forApplication, jwt.ValidTo, redemptionKey), null);
    }

    private static bool TryGuid(JsonWebToken jwt, string claim, out Guid value)
    {
        value = default;
        return jwt.TryGetPayloadValue<string>(claim, out var text) && Ids.TryParse(text, out value);
    }

    private static byte[] DecodeKey(string kid, string value)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            throw new OptionsValidationException(ShareTokenOptions.SectionName, typeof(ShareTokenOptions),
                [$"ShareTokens__SigningKeys__{kid} is not base64."]);
        }

        if (bytes.Length < MinimumKeyBytes)
        {
            throw new OptionsValidationException(ShareTokenOptions.SectionName, typeof(ShareTokenOptions),
                [$"ShareTokens__SigningKeys__{kid} has {bytes.Length} bytes; HS256 keys need at least {MinimumKeyBytes}."]);
        }

        return bytes;
    }
}
