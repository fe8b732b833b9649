using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Entities;

[GrainType("entity")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class EntityGrain(
    [PersistentState(StateNames.Entity, StorageNames.Grains)] IPersistentState<EntityState> state,
    TimeProvider time) : Grain, IEntityGrain
{
    async Task<EntityView> IEntityGrain.AddSession(Guid sessionId)
    {
        if (!state.RecordExists || !state.State.SessionIds.Contains(sessionId))
        {
            state.State = state.State with
            {
                CreatedAt = state.RecordExists ? state.State.CreatedAt : time.UtcNowMilliseconds(),
                SessionIds = state.State.SessionIds.Add(sessionId),
            };
            await state.WriteStateAsync();
        }

        return ToView();
    }

    Task<EntityView?> IEntityGrain.Get() => Task.FromResult(state.RecordExists ? ToView() : null);

    private EntityView ToView() =>
        new(EntityKey.Parse(this.GetPrimaryKeyString()).VendorData, state.State.SessionIds, state.State.CreatedAt);
}
