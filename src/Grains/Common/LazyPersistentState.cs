using Orleans.Storage;

namespace OrleansShare.Grains.Common;

/// <summary>
/// Grain state that is read from storage when a call first needs it (<see cref="EnsureReadAsync"/>), not when the
/// grain activates: for a grain whose first call usually finds no row, and can tell from a version conflict on its
/// first write that there was one. It writes like any <see cref="IPersistentState{TState}"/> (through
/// <see cref="StateWrites"/>): version-checked, a first write only inserts.
/// </summary>
public sealed class LazyPersistentState<T>(IGrainStorage storage, string stateName, GrainId grainId) : IPersistentState<T>
    where T : new()
{
    private readonly GrainState<T> _stored = new(new T());

    /// <summary>Whether this state was read from storage, or written, since the activation began.</summary>
    public bool IsRead { get; private set; }

    public T State
    {
        get => _stored.State ??= new T();
        set => _stored.State = value;
    }

    public string? Etag => _stored.ETag;

    public bool RecordExists => _stored.RecordExists;

    public Task EnsureReadAsync() => IsRead ? Task.CompletedTask : ReadStateAsync();

    public async Task ReadStateAsync()
    {
        await storage.ReadStateAsync(stateName, grainId, _stored);
        _stored.State ??= new T();
        IsRead = true;
    }

    public async Task WriteStateAsync()
    {
        await storage.WriteStateAsync(stateName, grainId, _stored);
        IsRead = true;
    }

    public async Task ClearStateAsync()
    {
        await storage.ClearStateAsync(stateName, grainId, _stored);
        _stored.State ??= new T();
        IsRead = true;
    }
}
