using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// API.md, Share governance: <c>DELETE /v3/session/{id}/shares/{token_id}/</c> revokes a token before it is used
/// (204, again 204), after which an import is 401 "revoked"; a redeemed token is 409; a token this session never minted,
/// or a session that is not the caller's, is 404. Revoke and import of one token at once: exactly one wins.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RevocationTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RevokeBeforeUseIs204AndAgain204()
    {
        var (source, _, sessionId, share) = await SharedSessionAsync();

        var first = await RevokeAsync(source, sessionId, share.TokenId);
        var again = await RevokeAsync(source, sessionId, share.TokenId);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task ImportAfterRevocationIs401SayingRevokedAndCreatesNothing()
    {
        var (source, partner, sessionId, share) = await SharedSessionAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(source, sessionId, share.TokenId)).StatusCode);

        var response = await app.TryImportAsync(partner, share.Token, partner.KycWorkflowId);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("revoked", problem.Detail(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await app.CountSessionsAsync(partner));
        Assert.DoesNotContain("imported_by_partner", await app.GetActionsAsync(source, sessionId));
        await (await app.TryImportAsync(partner, share.Token, partner.KycWorkflowId)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RevokeAfterRedemptionIs409AndTheImportStands()
    {
        var (source, partner, sessionId, share) = await SharedSessionAsync();
        var imported = await app.ImportAsync(partner, share.Token, partner.KycWorkflowId);

        var response = await RevokeAsync(source, sessionId, share.TokenId);

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(sessionId, (await app.GetDecisionAsync(partner, imported.Id("session_id"))).Id("shared_from_session"));
        var again = await app.TryImportAsync(partner, share.Token, partner.KycWorkflowId);
        Assert.Contains("already imported", (await again.AssertProblemAsync(HttpStatusCode.Forbidden)).Detail(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RevocationStopsOnlyThatToken()
    {
        var (source, partner, sessionId, revoked) = await SharedSessionAsync();
        var other = await ShareAsync(source, sessionId, partner);

        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(source, sessionId, revoked.TokenId)).StatusCode);

        var imported = await app.ImportAsync(partner, other.Token, partner.KycWorkflowId);
        Assert.Equal(sessionId, imported.Id("shared_from_session"));
    }

    /// <summary>API.md, Import: a revoked token is 401 before "already imported" (403) is considered.</summary>
    [Fact]
    public async Task RevocationIsCheckedBeforeAlreadyImported()
    {
        var (source, partner, sessionId, revoked) = await SharedSessionAsync();
        var other = await ShareAsync(source, sessionId, partner);
        Assert.Equal(HttpStatusCode.NoContent, (await RevokeAsync(source, sessionId, revoked.TokenId)).StatusCode);
        await app.ImportAsync(partner, other.Token, partner.KycWorkflowId);

        var response = await app.TryImportAsync(partner, revoked.Token, partner.KycWorkflowId);

        Assert.Contains("revoked", (await response.AssertProblemAsync(HttpStatusCode.Unauthorized)).Detail(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownTokenIs404()
    {
        var (source, partner, sessionId, share) = await SharedSessionAsync();

        var response = await RevokeAsync(source, sessionId, Guid.NewGuid().ToString());

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await app.ImportAsync(partner, share.Token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task TokenOfAnotherSessionIs404AndStaysUsable()
    {
        var (source, partner, _, share) = await SharedSessionAsync();
        var otherSessionId = await app.CreateVerifiedSessionAsync(source);

        var response = await RevokeAsync(source, otherSessionId, share.TokenId);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await app.ImportAsync(partner, share.Token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task SessionOfAnotherApplicationIs404AndRevokesNothing()
    {
        var (_, partner, sessionId, share) = await SharedSessionAsync();

        var response = await RevokeAsync(partner, sessionId, share.TokenId);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await app.ImportAsync(partner, share.Token, partner.KycWorkflowId);
    }

    [Fact]
    public async Task MissingSessionIs404()
    {
        var source = await app.CreateApplicationAsync();

        var response = await RevokeAsync(source, Guid.NewGuid(), Guid.NewGuid().ToString());

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task KeyWithoutWriteSessionsIs403AndRevokesNothing()
    {
        var (source, partner, sessionId, share) = await SharedSessionAsync();
        var keyResponse = await app.Admin.PostAsync(
            $"/admin/v1/applications/{source.ApplicationId}/api-keys/", Body.Json("{\"privileges\": [\"read:sessions\"]}"), Ct);
        var readOnly = app.CreateClient((await keyResponse.AssertJsonAsync(HttpStatusCode.Created)).Str("api_key"));

        var response = await readOnly.DeleteAsync($"/v3/session/{sessionId}/shares/{share.TokenId}/", Ct);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        await app.ImportAsync(partner, share.Token, partner.KycWorkflowId);
    }

    /// <summary>
    /// Revoke and import of one token sent at once, many times: either the import is 201 and the revoke 409, or the
    /// revoke 204 and the import 401, never both; the source's log, the share ledger and the partner's sessions say which.
    /// </summary>
    [Fact]
    public async Task RevokeAndImportAtOnceExactlyOneWins()
    {
        const int rounds = 24;
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var importsWon = 0;

        for (var round = 0; round < rounds; round++)
        {
            var sessionId = await app.CreateVerifiedSessionAsync(source);
            var share = await ShareAsync(source, sessionId, partner);

            // The revocation leaves after a few reads of the session, more each round, so that it meets the import at
            // every point of the import's way, not only at its start (the import's way is the longer one).
            var import = app.TryImportAsync(partner, share.Token, partner.KycWorkflowId);
            var revoke = RevokeAfterReadsAsync(source, sessionId, share.TokenId, reads: round % 8);
            var (imported, revoked) = ((await import).StatusCode, (await revoke).StatusCode);

            var importWon = (imported, revoked) switch
            {
                (HttpStatusCode.Created, HttpStatusCode.Conflict) => true,
                (HttpStatusCode.Unauthorized, HttpStatusCode.NoContent) => false,
                _ => throw new Xunit.Sdk.XunitException($"Round {round}: import {(int)imported}, revoke {(int)revoked}"),
            };
            importsWon += importWon ? 1 : 0;
            Assert.Equal(importWon, (await app.GetActionsAsync(source, sessionId)).Contains("imported_by_partner"));
            var listed = Assert.Single(await (await source.Client.GetAsync($"/v3/session/{sessionId}/shares/", Ct)).AssertJsonArrayAsync(HttpStatusCode.OK))!;
            Assert.Equal(importWon ? "redeemed" : "revoked", listed.Str("state"));
            Assert.Equal(importWon ? HttpStatusCode.Conflict : HttpStatusCode.NoContent, (await RevokeAsync(source, sessionId, share.TokenId)).StatusCode);
            Assert.Equal(importWon ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized,
                (await app.TryImportAsync(partner, share.Token, partner.KycWorkflowId)).StatusCode);
        }

        Assert.Equal(importsWon, await app.CountSessionsAsync(partner));
        TestContext.Current.TestOutputHelper?.WriteLine($"{importsWon} of {rounds} rounds won by the import, {rounds - importsWon} by the revocation.");
    }

    private async Task<(TestApplication Source, TestApplication Partner, Guid SessionId, (string Token, string TokenId) Share)> SharedSessionAsync()
    {
        var source = await app.CreateApplicationAsync();
        var partner = await app.CreateApplicationAsync();
        var sessionId = await app.CreateVerifiedSessionAsync(source);
        return (source, partner, sessionId, await ShareAsync(source, sessionId, partner));
    }

    private async Task<(string Token, string TokenId)> ShareAsync(TestApplication source, Guid sessionId, TestApplication partner)
    {
        var response = await app.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() });
        var shared = await response.AssertJsonAsync(HttpStatusCode.Created);
        return (shared.Str("share_token"), shared.Str("token_id"));
    }

    private async Task<HttpResponseMessage> RevokeAfterReadsAsync(TestApplication caller, Guid sessionId, string tokenId, int reads)
    {
        for (var read = 0; read < reads; read++)
        {
            await app.GetDecisionAsync(caller, sessionId);
        }

        return await RevokeAsync(caller, sessionId, tokenId);
    }

    private static Task<HttpResponseMessage> RevokeAsync(TestApplication caller, Guid sessionId, string tokenId) =>
        caller.Client.DeleteAsync($"/v3/session/{sessionId}/shares/{tokenId}/", Ct);
}
