using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace OrleansShare.Tests.Fixtures;

/// <summary>Decodes share tokens and forges new ones with the test signing key (or any other key and algorithm).</summary>
public static class TestTokens
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    /// <summary>The claims of a token as the gateway mints them; null arguments leave the claim out.</summary>
    public static JsonObject Claims(
        Guid sessionId, string? sessionKind, Guid fromApplicationId, Guid forApplicationId,
        DateTimeOffset? issuedAt = null, DateTimeOffset? expiresAt = null, string? jti = null)
    {
        var iat = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new JsonObject
        {
            ["session_id"] = sessionId.ToString(),
            ["from_application_id"] = fromApplicationId.ToString(),
            ["for_application_id"] = forApplicationId.ToString(),
            ["iat"] = iat.ToUnixTimeSeconds(),
            ["exp"] = (expiresAt ?? iat.AddHours(1)).ToUnixTimeSeconds(),
        };
        if (sessionKind is not null)
        {
            claims["session_kind"] = sessionKind;
        }

        if (jti is not null)
        {
            claims["jti"] = jti;
        }

        return claims;
    }

    /// <summary>A compact JWS over <paramref name="payload"/>: HS256 with the test key unless told otherwise.</summary>
    public static string Sign(JsonObject payload, string alg = "HS256", string? kid = GatewayApp.SigningKeyId, byte[]? key = null)
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        return SignRaw(header.ToJsonString(), payload.ToJsonString(), alg, key ?? GatewayApp.SigningKey);
    }

    public static string SignRaw(string headerJson, string payloadJson, string alg, byte[] key)
    {
        var signingInput = $"{Base64Url(Encoding.UTF8.GetBytes(headerJson))}.{Base64Url(Encoding.UTF8.GetBytes(payloadJson))}";
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = alg switch
        {
            "HS256" => HMACSHA256.HashData(key, data),
            "HS384" => HMACSHA384.HashData(key, data),
            "HS512" => HMACSHA512.HashData(key, data),
            "none" => [],
            _ => throw new ArgumentException($"Unsupported algorithm {alg}", nameof(alg)),
        };
        return $"{signingInput}.{Base64Url(signature)}";
    }

    /// <summary>Whether the token's signature is the HS256 MAC of its own header and payload under <paramref name="key"/>.</summary>
    public static bool IsSignedWith(string token, byte[] key)
    {
        var lastDot = token.LastIndexOf('.');
        var mac = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(token[..lastDot]));
        return Base64Url(mac) == token[(lastDot + 1)..];
    }

    /// <summary>The token with its payload replaced but its original signature kept.</summary>
    public static string WithPayload(string token, JsonObject payload)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static JsonObject Decode(string part)
    {
        var text = part.Replace('-', '+').Replace('_', '/');
        text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        return JsonNode.Parse(Convert.FromBase64String(text))!.AsObject();
    }
}
