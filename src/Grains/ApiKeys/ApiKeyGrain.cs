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

        state.State = new ApiKeyState
        {
            ApplicationId = identity.ApplicationId,
            ApiKeyId = identity.ApiKeyId,
            Privileges = identity.Privileges,
        };
        await state.WriteStateAsync();
    }

    async Task IApiKeyGrain.Revoke()
    {
        if (!state.RecordExists)
        {
            return;
        }

        if (!state.State.Revoked)
        {
            state.State = state.State with { Revoked = true };
            await state.WriteStateAsync();
        }

        // Also on a repeated revoke: the announcement of an earlier one may be what failed.
        await GrainFactory.GetGrain<IApiKeyRevocationHubGrain>(0).Announce(this.GetPrimaryKeyString());
    }

    Task<ApiKeyIdentity?> IApiKeyGrain.Authenticate() =>
        Task.FromResult(state.RecordExists && !state.State.Revoked
            ? new ApiKeyIdentity(state.State.ApplicationId, state.State.ApiKeyId, state.State.Privileges)
            : null);
}
