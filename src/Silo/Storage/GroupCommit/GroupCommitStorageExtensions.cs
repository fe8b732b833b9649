using Orleans.Runtime.Hosting;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>Registers <see cref="GroupCommitGrainStorage"/> on a silo.</summary>
public static class GroupCommitStorageExtensions
{
    public static ISiloBuilder AddGroupCommitGrainStorage(this ISiloBuilder silo, string name, Database database, GroupCommitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddGrainStorage(name, (services, key) => GroupCommitGrainStorage.Create(services, key, database, options ?? new GroupCommitOptions()));
        return silo;
    }
}
