using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Entities;

/// <summary>A user (KYC) or business (KYB) of one application, keyed by <see cref="EntityKey"/>.</summary>
[Alias("entities.IEntityGrain")]
public interface IEntityGrain : IGrainWithStringKey
{
    /// <summary>Creates the entity when missing and records the session; idempotent.</summary>
    [Alias("add-session")]
    Task<EntityView> AddSession(Guid sessionId);

    [Alias("get")]
    [RetrySafe]
    Task<EntityView?> Get();
}
