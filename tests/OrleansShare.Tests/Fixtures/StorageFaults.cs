using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansShare.Grains.Common;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// Fails chosen grain-state writes of a silo, once each: either before the write reaches the database (it failed)
/// or after it committed (it landed, but the caller hears a timeout: it may have failed). Installed in front of the
/// silo's real grain storage, which still does every other read and write. It also counts the reads of each state.
/// </summary>
public sealed class StorageFaults
{
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    /// <summary>How many grain-state reads of <paramref name="stateName"/> reached the storage so far.</summary>
    public int ReadsOf(string stateName) => _reads.GetValueOrDefault(stateName);

    /// <summary>The next write of a <typeparamref name="T"/> state that <paramref name="match"/> accepts fails once.</summary>
    public void FailNextWrite<T>(Func<T, bool> match, bool afterCommit) =>
        _faults.Enqueue(new Fault(s => s is T state && match(state), afterCommit));

    /// <summary>Whether every planned fault has been used.</summary>
    public bool AllUsed => _faults.IsEmpty;

    /// <summary>Puts <paramref name="faults"/> in front of the keyed grain storage <see cref="StorageNames.Grains"/>.</summary>
    public static void Install(IServiceCollection services, StorageFaults faults)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Grains));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Grains, (provider, key) =>
            new Faulty(Create(original, provider, key), faults));
    }

    private static IGrainStorage Create(ServiceDescriptor descriptor, IServiceProvider provider, object? key) =>
        descriptor.KeyedImplementationFactory is { } factory ? (IGrainStorage)factory(provider, key)
        : descriptor.KeyedImplementationInstance is IGrainStorage instance ? instance
        : (IGrainStorage)ActivatorUtilities.CreateInstance(provider, descriptor.KeyedImplementationType!);

    private bool TryTake(object? state, out bool afterCommit)
    {
        afterCommit = false;
        if (_faults.TryPeek(out var next) && next.Match(state) && _faults.TryDequeue(out var taken))
        {
            afterCommit = taken.AfterCommit;
            return true;
        }

        return false;
    }

    private sealed record Fault(Func<object?, bool> Match, bool AfterCommit);

    private sealed class Faulty(IGrainStorage inner, StorageFaults faults) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            faults._reads.AddOrUpdate(stateName, 1, (_, n) => n + 1);
            return inner.ReadStateAsync(stateName, grainId, grainState);
        }

        public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (!faults.TryTake(grainState.State, out var afterCommit))
            {
                await inner.WriteStateAsync(stateName, grainId, grainState);
                return;
            }

            if (afterCommit)
            {
                await inner.WriteStateAsync(stateName, grainId, grainState);
                throw new TimeoutException($"Injected: the write of {grainId} committed, but its answer was lost.");
            }

            throw new TimeoutException($"Injected: the write of {grainId} never reached the database.");
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle observer) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(observer);
    }
}
