using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansShare.Gateway.Options;
using OrleansShare.Gateway.Tokens;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sharing;

namespace OrleansShare.Tests.Unit;

/// <summary>
/// Share-token minting and local validation. Crafted tokens are built by hand (base64url header and payload,
/// HMAC over them) so that each case differs from a good token in exactly one way.
/// </summary>
[Trait("Layer", "Unit")]
public sealed class ShareTokenServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Key1 = RandomNumberGenerator.GetBytes(32);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly Guid _sessionId = Guid.NewGuid();
    private readonly Guid _from = Guid.NewGuid();
    private readonly Guid _for = Guid.NewGuid();

    [Fact]
    public async Task AMintedTokenValidatesToItsClaims()
    {
        var service = Service(("k1", Key1));
        var jti = Guid.NewGuid().ToString();

        var token = service.Mint(_sessionId, SessionKind.Business, _from, _for, Now, Now.AddMinutes(15), jti);
        var (claims, failure) = await service.ValidateAsync(token);

        Assert.Null(failure);
        Assert.NotNull(claims);
        Assert.Equal(_sessionId, claims.SessionId);
        Assert.Equal(SessionKind.Business, claims.SessionKind);
        Assert.Equal(_from, claims.FromApplicationId);
        Assert.Equal(_for, claims.ForApplicationId);
        Assert.Equal(Now.AddMinutes(15), claims.ExpiresAt);
        Assert.Equal(ShareTokenKey.FromJti(jti), claims.RedemptionKey);
        var header = Header(token);
        Assert.Equal("HS256", (string?)header["alg"]);
        Assert.Equal("k1", (string?)header["kid"]);
    }

    [Fact]
    public async Task ATokenCraftedLikeTheMintedOnesValidates()
    {
        var service = Service(("k1", Key1));

        var (claims, failure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "k1"), Payload(), Key1));

        Assert.Null(failure);
        Assert.Equal(_for, claims!.ForApplicationId);
    }

    [Fact]
    public async Task ATamperedPayloadFails()
    {
        var service = Service(("k1", Key1));
        var token = service.Mint(_sessionId, SessionKind.User, _from, _for, Now, Now.AddMinutes(15), "jti-1");
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!;
        payload["for_application_id"] = Guid.NewGuid().ToString();
        var tampered = $"{parts[0]}.{Encode(payload.ToJsonString())}.{parts[2]}";

        var (claims, failure) = await service.ValidateAsync(tampered);

        Assert.Null(claims);
        Assert.Equal("The share token's signature is not valid.", failure);
    }

    [Fact]
    public async Task AnUnsignedTokenFails()
    {
        var service = Service(("k1", Key1));
        var unsigned = $"{Encode("""{"alg":"none","typ":"JWT"}""")}.{Encode(Payload().ToJsonString())}.";

        var (claims, failure) = await service.ValidateAsync(unsigned);

        Assert.Null(claims);
        Assert.NotNull(failure);
    }

    [Fact]
    public async Task HS512WithTheSameSecretFails()
    {
        var service = Service(("k1", Key1));

        var (claims, failure) = await service.ValidateAsync(Craft(HeaderFor("HS512", "k1"), Payload(), Key1));

        Assert.Null(claims);
        Assert.Equal("The share token must be signed with HS256.", failure);
    }

    [Fact]
    public async Task AnUnknownKidFails()
    {
        var service = Service(("k1", Key1));

        var (claims, failure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "k9"), Payload(), Key1));

        Assert.Null(claims);
        Assert.Equal("The share token was not signed with a key this service knows.", failure);
    }

    [Fact]
    public async Task ATokenFailsOnceTheClockPassesItsExpiry()
    {
        var service = Service(("k1", Key1));
        var token = service.Mint(_sessionId, SessionKind.User, _from, _for, Now, Now.AddMinutes(5), "jti-2");
        _time.Advance(TimeSpan.FromMinutes(4));
        var (beforeClaims, _) = await service.ValidateAsync(token);

        _time.Advance(TimeSpan.FromMinutes(2));
        var (claims, failure) = await service.ValidateAsync(token);

        Assert.NotNull(beforeClaims);
        Assert.Null(claims);
        Assert.Equal("The share token has expired; ask the sharing partner for a new one.", failure);
    }

    [Theory]
    [InlineData("session_id", null)]
    [InlineData("for_application_id", "not-a-uuid")]
    [InlineData("for_application_id", "00000000000000000000000000000001")]
    [InlineData("from_application_id", null)]
    public async Task AMissingOrMalformedIdClaimFails(string claim, string? value)
    {
        var service = Service(("k1", Key1));
        var payload = Payload();
        if (value is null)
        {
            payload.Remove(claim);
        }
        else
        {
            payload[claim] = value;
        }

        var (claims, failure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "k1"), payload, Key1));

        Assert.Null(claims);
        Assert.NotNull(failure);
    }

    [Fact]
    public async Task ATokenWithoutSessionKindIsAUserToken()
    {
        var service = Service(("k1", Key1));
        var payload = Payload();
        payload.Remove("session_kind");

        var (claims, failure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "k1"), payload, Key1));

        Assert.Null(failure);
        Assert.Equal(SessionKind.User, claims!.SessionKind);
    }

    [Fact]
    public async Task ATokenWithoutJtiIsKeyedByItsText()
    {
        var service = Service(("k1", Key1));
        var payload = Payload();
        payload.Remove("jti");
        var token = Craft(HeaderFor("HS256", "k1"), payload, Key1);

        var (claims, failure) = await service.ValidateAsync(token);

        Assert.Null(failure);
        Assert.Equal(ShareTokenKey.FromTokenText(token), claims!.RedemptionKey);
    }

    [Fact]
    public async Task EveryConfiguredKeyVerifiesAndTheGreatestKidSigns()
    {
        var older = RandomNumberGenerator.GetBytes(32);
        var newer = RandomNumberGenerator.GetBytes(48);
        var service = Service(("2026-10", older), ("2026-11", newer));

        var minted = service.Mint(_sessionId, SessionKind.User, _from, _for, Now, Now.AddMinutes(15), "jti-3");
        var (mintedClaims, _) = await service.ValidateAsync(minted);
        var (olderClaims, olderFailure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "2026-10"), Payload(), older));
        var (mismatched, mismatchFailure) = await service.ValidateAsync(Craft(HeaderFor("HS256", "2026-10"), Payload(), newer));

        Assert.Equal("2026-11", service.ActiveKeyId);
        Assert.Equal("2026-11", (string?)Header(minted)["kid"]);
        Assert.NotNull(mintedClaims);
        Assert.Null(olderFailure);
        Assert.NotNull(olderClaims);
        Assert.Null(mismatched);
        Assert.NotNull(mismatchFailure);
    }

    [Theory]
    [InlineData("c2hvcnQ=")]
    [InlineData("this is not base64!")]
    public void ABadSigningKeyIsRefusedAtConstruction(string configured)
    {
        var options = Options.Create(new ShareTokenOptions { SigningKeys = { ["k1"] = configured } });

        var error = Assert.Throws<OptionsValidationException>(() => new ShareTokenService(options, _time));

        Assert.Contains("ShareTokens__SigningKeys__k1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyOfThirtyOneBytesIsRefused()
    {
        var options = Options.Create(new ShareTokenOptions { SigningKeys = { ["k1"] = Convert.ToBase64String(new byte[31]) } });

        Assert.Throws<OptionsValidationException>(() => new ShareTokenService(options, _time));
    }

    private ShareTokenService Service(params (string Kid, byte[] Key)[] keys)
    {
        var options = new ShareTokenOptions();
        foreach (var (kid, key) in keys)
        {
            options.SigningKeys[kid] = Convert.ToBase64String(key);
        }

        return new ShareTokenService(Options.Create(options), _time);
    }

    private JsonObject Payload() => new()
    {
        ["session_id"] = _sessionId.ToString(),
        ["session_kind"] = "user",
        ["from_application_id"] = _from.ToString(),
        ["for_application_id"] = _for.ToString(),
        ["iat"] = Now.ToUnixTimeSeconds(),
        ["exp"] = Now.AddMinutes(15).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString(),
    };

    private static JsonObject HeaderFor(string alg, string kid) => new() { ["alg"] = alg, ["kid"] = kid, ["typ"] = "JWT" };

    /// <summary>A compact JWS: base64url(header).base64url(payload).base64url(HMAC-SHA256 or -SHA512 over both).</summary>
    private static string Craft(JsonObject header, JsonObject payload, byte[] key)
    {
        var signingInput = $"{Encode(header.ToJsonString())}.{Encode(payload.ToJsonString())}";
        var bytes = Encoding.ASCII.GetBytes(signingInput);
        var signature = (string?)header["alg"] == "HS512" ? HMACSHA512.HashData(key, bytes) : HMACSHA256.HashData(key, bytes);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    private static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static JsonNode Header(string token) => JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[0]))!;
}
