using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.ApiKeys;

[GrainType("api-key")]
public sealed class ApiKeyGrain(
    [PersistentState(StateNames.ApiKey, StorageNames.Grains)] IPersistentState<ApiKeyState> state) : Grain, IApiKeyGrain
{
    async Task IApiKeyGrain.Register(ApiKeyIdentity identity)
    {
        if (state.RecordExists)
        {
            return;
        }

        await state.WriteAsync(new ApiKeyState
        {
            ApplicationId = identity.ApplicationId,
            ApiKeyId = identity.ApiKeyId,
            Privileges = identity.Privileges,
        }, this);
    }

    async Task IApiKeyGrain.Revoke()
    {
        if (!state.RecordExists)
        {
            return;
        }

        try
        {
            if (!state.State.Revoked)
            {
                await state.WriteAsync(state.State with { Revoked = true }, this);
            }
        }
        finally
        {
            // Also on a repeated revoke (the announcement of an earlier one may be what failed), and when this write
            // failed or may have failed: a gateway that drops a cached key asks again and hears what storage holds.
            await GrainFactory.Reference<IApiKeyRevocationHubGrain>(0).Announce(this.GetPrimaryKeyString());
        }
    }

    Task<ApiKeyIdentity?> IApiKeyGrain.Authenticate() =>
        Task.FromResult(state.RecordExists && !state.State.Revoked
            ? new ApiKeyIdentity(state.State.ApplicationId, state.State.ApiKeyId, state.State.Privileges)
            : null);
}
