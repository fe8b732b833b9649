using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Options;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Sharing;

namespace OrleansShare.Gateway.Tokens;

/// <summary>
/// Mints and verifies share tokens: compact JWS, HS256 only, <c>kid</c> naming one of the configured keys.
/// Verification is local (no storage), so a forged, expired or foreign token costs nothing downstream.
/// </summary>
internal sealed class ShareTokenService
{
    private const int MinimumKeyBytes = 32;

    /// <summary>How far ahead of this gateway's clock a token's <c>iat</c> may be (another gateway's clock).</summary>
    private const int ClockSkewSeconds = 60;

    /// <summary>The longest lifetime a share can ask for (API.md, Share), so the longest any genuine token has.</summary>
    private const int MaxLifetimeSeconds = 86400;

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
    public string Mint(
        Guid sessionId, SessionKind kind, Guid fromApplicationId, Guid forApplicationId, DateTimeOffset issuedAt, DateTimeOffset expiresAt, string jti,
        string? purpose = null, IReadOnlyList<string>? scope = null)
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
            if (purpose is not null)
            {
                writer.WriteString("purpose", purpose);
            }

            if (scope is not null)
            {
                writer.WriteStartArray("scope");
                foreach (var section in scope)
                {
                    writer.WriteStringValue(section);
                }

                writer.WriteEndArray();
            }

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
            // The times are checked after the signature, on the payload as sent (ReadTimes): the handler accepts a string exp.
            RequireExpirationTime = false,
            ValidateLifetime = false,
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

        using var payload = ParsePayload(jwt);
        if (payload is null)
        {
            return (null, "The share token is not a well-formed JWS.");
        }

        var (expiresAt, timeFailure) = ReadTimes(payload.RootElement);
        if (expiresAt is not { } expiry)
        {
            return (null, timeFailure);
        }

        var (claims, failure) = ReadClaims(jwt, token, expiry);
        if (claims is null)
        {
            return (null, failure);
        }

        var (purpose, scope, termsFailure) = ReadTerms(payload.RootElement);
        return termsFailure is null ? (claims with { Purpose = purpose, Scope = scope }, null) : (null, termsFailure);
    }

    /// <summary>The token's <c>purpose</c> and <c>scope</c> (Share governance); absent claims (and null ones) are none.</summary>
    private static (string? Purpose, ImmutableArray<string>? Scope, string? Failure) ReadTerms(JsonElement claims)
    {
        string? purpose = null;
        if (claims.TryGetProperty("purpose", out var purposeClaim) && purposeClaim.ValueKind != JsonValueKind.Null)
        {
            if (purposeClaim.ValueKind != JsonValueKind.String || !ShareGovernance.IsPurpose(purposeClaim.GetString()!))
            {
                return (null, null, "The share token's purpose claim is not a valid purpose.");
            }

            purpose = purposeClaim.GetString();
        }

        if (!claims.TryGetProperty("scope", out var scopeClaim) || scopeClaim.ValueKind == JsonValueKind.Null)
        {
            return (purpose, null, null);
        }

        if (scopeClaim.ValueKind != JsonValueKind.Array || scopeClaim.GetArrayLength() == 0
            || scopeClaim.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String || !Sections.IsAnySection(s.GetString()!)))
        {
            return (null, null, "The share token's scope claim must be a non-empty list of section names.");
        }

        return (purpose, [.. scopeClaim.EnumerateArray().Select(s => s.GetString()!)], null);
    }

    /// <summary>
    /// RFC 8725's checks of the times: <c>iat</c>, <c>exp</c> and <c>nbf</c> (when present) are JSON integers, <c>iat</c> at
    /// most <see cref="ClockSkewSeconds"/> ahead, <c>nbf</c> not ahead, and the lifetime at most what a share may ask for.
    /// </summary>
    private (DateTimeOffset? ExpiresAt, string? Failure) ReadTimes(JsonElement claims)
    {
        if (!TryInteger(claims, "iat", out var iat) || !TryInteger(claims, "exp", out var exp))
        {
            return (null, "The share token's iat and exp claims must be JSON integers (seconds since the epoch).");
        }

        var hasNbf = claims.TryGetProperty("nbf", out _);
        var nbf = 0L;
        if (hasNbf && !TryInteger(claims, "nbf", out nbf))
        {
            return (null, "The share token's nbf claim must be a JSON integer (seconds since the epoch).");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (iat > now + ClockSkewSeconds)
        {
            return (null, "The share token's iat claim is in the future.");
        }

        if (hasNbf && nbf > now)
        {
            return (null, "The share token's nbf claim is in the future: it is not valid yet.");
        }

        var lifetime = (Int128)exp - iat;
        if (lifetime <= 0 || lifetime > MaxLifetimeSeconds)
        {
            return (null, $"The share token's lifetime (exp - iat) must be from 1 to {MaxLifetimeSeconds} seconds.");
        }

        if (exp <= now)
        {
            return (null, "The share token has expired; ask the sharing partner for a new one.");
        }

        return (DateTimeOffset.FromUnixTimeSeconds(exp), null);
    }

    /// <summary>The payload as sent; the handler has parsed it already, so null is only a safeguard.</summary>
    private static JsonDocument? ParsePayload(JsonWebToken jwt)
    {
        try
        {
            return JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryInteger(JsonElement claims, string name, out long value)
    {
        value = 0;
        return claims.TryGetProperty(name, out var claim) && claim.ValueKind == JsonValueKind.Number && claim.TryGetInt64(out value);
    }

    private static (ShareTokenClaims? Claims, string? Failure) ReadClaims(JsonWebToken jwt, string token, DateTimeOffset expiresAt)
    {
        if (!TryGuid(jwt, "session_id", out var sessionId) || !TryGuid(jwt, "from_application_id", out var from)
            || !TryGuid(jwt, "for_application_id", out var forApplication))
        {
            return (null, "The share token lacks a valid session_id, from_application_id or for_application_id claim.");
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

        return (new ShareTokenClaims(sessionId, kind, from, forApplication, expiresAt, redemptionKey), null);
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
