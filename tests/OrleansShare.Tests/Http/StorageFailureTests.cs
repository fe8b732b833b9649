using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>A gateway whose grain-state writes the tests make fail.</summary>
public sealed class StorageFaultsGateway : IAsyncLifetime
{
    public GatewayApp App { get; } = GatewayApp.WithStorageFaults();

    public StorageFaults Faults => App.StorageFaults!;

    public async ValueTask InitializeAsync() => await App.InitializeAsync();

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    /// <summary>The state stored for a grain, read straight from grain storage (activating nothing).</summary>
    public async Task<T?> StoredAsync<T>(string stateName, GrainId grainId)
    {
        var stored = new GrainState<T>();
        await App.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains).ReadStateAsync(stateName, grainId, stored);
        return stored.RecordExists ? stored.State : default;
    }

    public Task<SessionState?> StoredSessionAsync(Guid sessionId) =>
        StoredAsync<SessionState>(StateNames.Session, App.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(sessionId).GetGrainId());
}

/// <summary>
/// Memory never runs ahead of storage: when a grain's write fails before the database (it failed) or after it
/// committed (it may have failed, as a timeout says), the call answers 503 and the grain drops its activation;
/// afterwards every answer agrees with what storage holds, and a retry completes the change.
/// </summary>
[Trait("Layer", "Http")]
public sealed class StorageFailureTests(StorageFaultsGateway gateway) : IClassFixture<StorageFaultsGateway>
{
    private GatewayApp App => gateway.App;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ApiKeyRevoke(bool afterCommit)
    {
        var app = await App.CreateApplicationAsync();
        var keyGrain = GrainId.Create("api-key", ApiKeyHash.GrainKey(app.ApiKey));
        gateway.Faults.FailNextWrite<ApiKeyState>(k => k.Revoked, afterCommit);

        await AssertUnavailableAsync(await App.Admin.DeleteAsync($"/admin/v1/applications/{app.ApplicationId}/api-keys/{app.ApiKeyId}/", Ct));

        var revoked = (await gateway.StoredAsync<ApiKeyState>(StateNames.ApiKey, keyGrain))!.Revoked;
        Assert.Equal(afterCommit, revoked);
        var answer = await app.Client.GetAsync("/v3/sessions/", Ct);
        Assert.Equal(revoked ? HttpStatusCode.Unauthorized : HttpStatusCode.OK, answer.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await App.Admin.DeleteAsync($"/admin/v1/applications/{app.ApplicationId}/api-keys/{app.ApiKeyId}/", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync("/v3/sessions/", Ct)).StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ApplicationDelete(bool afterCommit)
    {
        var app = await App.CreateApplicationAsync();
        gateway.Faults.FailNextWrite<ApplicationState>(a => a.Deleted, afterCommit);

        await AssertUnavailableAsync(await App.Admin.DeleteAsync($"/admin/v1/applications/{app.ApplicationId}/", Ct));

        var grain = App.Services.GetRequiredService<IGrainFactory>().GetGrain<IApplicationGrain>(app.ApplicationId).GetGrainId();
        var deleted = (await gateway.StoredAsync<ApplicationState>(StateNames.Application, grain))!.Deleted;
        Assert.Equal(afterCommit, deleted);
        var read = await (await App.Admin.GetAsync($"/admin/v1/applications/{app.ApplicationId}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(deleted, read["deleted"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.NoContent, (await App.Admin.DeleteAsync($"/admin/v1/applications/{app.ApplicationId}/", Ct)).StatusCode);
        var after = await (await App.Admin.GetAsync($"/admin/v1/applications/{app.ApplicationId}/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.True(after["deleted"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SessionDelete(bool afterCommit)
    {
        var app = await App.CreateApplicationAsync();
        var sessionId = await App.CreateVerifiedSessionAsync(app);
        gateway.Faults.FailNextWrite<SessionState>(s => s.Deleted, afterCommit);

        await AssertUnavailableAsync(await app.Client.DeleteAsync($"/v3/session/{sessionId}/delete/", Ct));

        var deleted = (await gateway.StoredSessionAsync(sessionId))!.Deleted;
        Assert.Equal(afterCommit, deleted);
        var read = await app.Client.GetAsync($"/v3/session/{sessionId}/decision/", Ct);
        Assert.Equal(deleted ? HttpStatusCode.NotFound : HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(deleted ? 0 : 1, await App.CountSessionsAsync(app));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Decision(bool afterCommit)
    {
        var app = await App.CreateApplicationAsync();
        var sessionId = await App.CreateSessionAsync(app, app.KycWorkflowId, "vendor-decision");
        gateway.Faults.FailNextWrite<SessionState>(s => s.Status == "Approved", afterCommit);

        await AssertUnavailableAsync(await app.Client.PutAsync($"/v3/session/{sessionId}/decision/", Body.Json(Decisions.Verified(SessionKind.User)), Ct));

        var stored = (await gateway.StoredSessionAsync(sessionId))!.Status;
        Assert.Equal(afterCommit ? "Approved" : "Not Started", stored);
        Assert.Equal(stored, (await App.GetDecisionAsync(app, sessionId)).Str("status"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Review(bool afterCommit)
    {
        var app = await App.CreateApplicationAsync();
        var sessionId = await App.CreateVerifiedSessionAsync(app);
        var comment = $"checked {Guid.NewGuid():N}";
        gateway.Faults.FailNextWrite<SessionState>(s => s.Activity.Any(e => e.Comment == comment), afterCommit);

        await AssertUnavailableAsync(await app.Client.PostAsync(
            $"/v3/sessions/{sessionId}/reviews/", Body.Json(new JsonObject { ["comment"] = comment, ["new_status"] = "Declined" }), Ct));

        var stored = (await gateway.StoredSessionAsync(sessionId))!;
        Assert.Equal(afterCommit, stored.Activity.Any(e => e.Comment == comment));
        var reviews = await App.GetReviewsAsync(app, sessionId);
        Assert.Equal(afterCommit, reviews.Any(r => r!.NullableStr("comment") == comment));
        Assert.Equal(stored.Status, (await App.GetDecisionAsync(app, sessionId)).Str("status"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Share(bool afterCommit)
    {
        var source = await App.CreateApplicationAsync();
        var partner = await App.CreateApplicationAsync();
        var sessionId = await App.CreateVerifiedSessionAsync(source);
        gateway.Faults.FailNextWrite<SessionState>(s => s.Activity.Any(e => e.Action == ActivityActions.Shared), afterCommit);

        await AssertUnavailableAsync(await App.TryShareAsync(source, sessionId, new JsonObject { ["for_application_id"] = partner.ApplicationId.ToString() }));

        var stored = (await gateway.StoredSessionAsync(sessionId))!;
        Assert.Equal(afterCommit, stored.Activity.Any(e => e.Action == ActivityActions.Shared));
        Assert.Equal(afterCommit, (await App.GetActionsAsync(source, sessionId)).Contains(ActivityActions.Shared));

        var token = await App.ShareAsync(source, sessionId, partner.ApplicationId);
        await App.ImportAsync(partner, token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ExportToPartner(bool afterCommit)
    {
        var source = await App.CreateApplicationAsync();
        var partner = await App.CreateApplicationAsync();
        var sessionId = await App.CreateVerifiedSessionAsync(source);
        var token = await App.ShareAsync(source, sessionId, partner.ApplicationId);
        gateway.Faults.FailNextWrite<SessionState>(s => s.ImportedInto.ContainsKey(partner.ApplicationId), afterCommit);

        await AssertUnavailableAsync(await App.TryImportAsync(partner, token));

        var stored = (await gateway.StoredSessionAsync(sessionId))!;
        Assert.Equal(afterCommit, stored.ImportedInto.ContainsKey(partner.ApplicationId));
        Assert.Equal(afterCommit, (await App.GetActionsAsync(source, sessionId)).Contains(ActivityActions.ImportedByPartner));

        // The clone and the token's redeemed were sent with the source's record, and landed.
        Assert.Equal(1, await App.CountSessionsAsync(partner));

        // A new request is told the token was redeemed, naming the clone, and the redemption is finished: the source's
        // record is written when it was lost, never twice.
        var retry = await App.TryImportAsync(partner, token);
        var cloneId = (await retry.AssertProblemAsync(HttpStatusCode.Forbidden)).Id("session_id");
        Assert.Equal(sessionId, (await App.GetDecisionAsync(partner, cloneId)).Id("shared_from_session"));
        Assert.Single(await App.GetActionsAsync(source, sessionId), a => a == ActivityActions.ImportedByPartner);
        Assert.True((await gateway.StoredSessionAsync(sessionId))!.ImportedInto.ContainsKey(partner.ApplicationId));
        Assert.Equal(1, await App.CountSessionsAsync(partner));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShareRevocation(bool afterCommit)
    {
        var (source, partner, sessionId, token, tokenId) = await SharedTokenAsync();
        gateway.Faults.FailNextWrite<SessionState>(s => s.RevokedTokens.ContainsKey(tokenId), afterCommit);

        await AssertUnavailableAsync(await source.Client.DeleteAsync($"/v3/session/{sessionId}/shares/{tokenId}/", Ct));

        Assert.Equal(afterCommit, (await gateway.StoredSessionAsync(sessionId))!.RevokedTokens.ContainsKey(tokenId));
        Assert.Equal(HttpStatusCode.NoContent, (await source.Client.DeleteAsync($"/v3/session/{sessionId}/shares/{tokenId}/", Ct)).StatusCode);
        Assert.True((await gateway.StoredSessionAsync(sessionId))!.RevokedTokens.ContainsKey(tokenId));
        await (await App.TryImportAsync(partner, token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0, await App.CountSessionsAsync(partner));
    }

    /// <summary>
    /// An import whose source record failed made its clone and spent its token: revoking the token then is 409, as after
    /// any redemption, even though the source lost its record (the retry finishes the redemption, never revoked).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShareRevocationAfterAnImportWhoseSourceRecordFailed(bool afterCommit)
    {
        var (source, partner, sessionId, token, tokenId) = await SharedTokenAsync();
        gateway.Faults.FailNextWrite<SessionState>(s => s.ImportedInto.ContainsKey(partner.ApplicationId), afterCommit);
        await AssertUnavailableAsync(await App.TryImportAsync(partner, token));

        var revoke = await source.Client.DeleteAsync($"/v3/session/{sessionId}/shares/{tokenId}/", Ct);

        await revoke.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.False((await gateway.StoredSessionAsync(sessionId))!.RevokedTokens.ContainsKey(tokenId));
        var retry = await App.TryImportAsync(partner, token);
        var cloneId = (await retry.AssertProblemAsync(HttpStatusCode.Forbidden)).Id("session_id");
        Assert.Equal(sessionId, (await App.GetDecisionAsync(partner, cloneId)).Id("shared_from_session"));
        Assert.Single(await App.GetActionsAsync(source, sessionId), a => a == ActivityActions.ImportedByPartner);
    }

    private async Task<(TestApplication Source, TestApplication Partner, Guid SessionId, string Token, string TokenId)> SharedTokenAsync()
    {
        var source = await App.CreateApplicationAsync();
        var partner = await App.CreateApplicationAsync();
        var sessionId = await App.CreateVerifiedSessionAsync(source);
        var token = await App.ShareAsync(source, sessionId, partner.ApplicationId);
        return (source, partner, sessionId, token, TestTokens.Payload(token).Str("jti"));
    }

    private async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.Contains("Retry-After"));
        Assert.True(gateway.Faults.AllUsed, "The planned storage failure was not reached.");
    }
}
