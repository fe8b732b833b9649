using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Silo.Storage.GroupCommit;

/// <summary>
/// Grain storage that commits the reads and writes of many grains together: what arrives while a batch is at the
/// database leaves as the next batch, one round trip and one transaction (see <see cref="CommitQueue"/>). Rows are
/// the Orleans ADO.NET storage table's, written exactly as the stock <c>AdoNetGrainStorage</c> writes them (keys
/// and hashes, serializer, version as ETag, <c>RecordExists</c>, clear keeping the row with a NULL payload), so
/// either provider reads what the other wrote. Every write keeps its version check: a conflict fails that grain's
/// write alone with <see cref="InconsistentStateException"/>, and nothing is answered before its commit.
/// </summary>
public sealed class GroupCommitGrainStorage : IGrainStorage, IAsyncDisposable
{
    private readonly string _name;
    private readonly string _serviceId;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly CommitQueue _queue;
    private readonly IBatchExecutor _executor;

    /// <summary>
    /// Per session activation (its grain state object), the index row storage holds as far as this silo knows: the one
    /// its state was read with or last written with. A write whose row is the same leaves <c>session_index</c> alone.
    /// </summary>
    private readonly ConditionalWeakTable<object, SessionIndexEntry> _indexed = new();

    internal GroupCommitGrainStorage(
        string name, string serviceId, IBatchExecutor executor, IGrainStorageSerializer serializer,
        IActivatorProvider activators, GroupCommitOptions options, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchOperations, 1, nameof(options.MaxBatchOperations));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchBytes, 1, nameof(options.MaxBatchBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchesInFlight, 1, nameof(options.MaxBatchesInFlight));
        _name = name;
        _serviceId = serviceId;
        _serializer = serializer;
        _activators = activators;
        _executor = executor;
        _queue = new CommitQueue(executor, options, Statistics, logger);
    }

    /// <summary>Releases what the executor keeps open between batches (SQLite: its connections and prepared statements).</summary>
    public ValueTask DisposeAsync() => _executor is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>The provider registered as <paramref name="name"/>, on <paramref name="database"/>, with the silo's ServiceId and storage serializer.</summary>
    public static GroupCommitGrainStorage Create(IServiceProvider services, string name, Database database, GroupCommitOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(database);
        var serviceId = services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
        IBatchExecutor executor = database.DataSource is { } dataSource
            ? new PostgreSqlBatchExecutor(dataSource, serviceId)
            : new SqliteBatchExecutor(database.ConnectionString, serviceId);

        // The serializer the stock provider would pick: one registered for this provider's name, else the silo's.
        var serializer = services.GetKeyedService<IGrainStorageSerializer>(name) ?? services.GetRequiredService<IGrainStorageSerializer>();
        return new GroupCommitGrainStorage(name, serviceId, executor, serializer, services.GetRequiredService<IActivatorProvider>(),
            options, services.GetRequiredService<ILogger<GroupCommitGrainStorage>>());
    }

    /// <summary>Transactions, operations and batch sizes so far.</summary>
    public GroupCommitStatistics Statistics { get; } = new();

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var outcome = await _queue.RunAsync(new StorageOperation(StorageOperationKind.Read, StorageKey.Create(stateName, grainId), null, null));

        grainState.State = (outcome.Payload is { } payload ? _serializer.Deserialize<T>(payload) : default) ?? NewState<T>();
        grainState.ETag = ETagOf(outcome.Version);
        grainState.RecordExists = outcome.Payload is not null;
        if (grainState.State is SessionState { Deleted: false } session && grainState.RecordExists)
        {
            _indexed.AddOrUpdate(grainState, SessionRows.Of(session).Index!);
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var payload = Bytes(_serializer.Serialize(grainState.State));
        var rows = grainState.State is SessionState session ? SessionRows.Of(session) : null;
        var outcome = await _queue.RunAsync(new StorageOperation(
            StorageOperationKind.Write, StorageKey.Create(stateName, grainId), VersionOf(grainState.ETag), payload)
        {
            Rows = rows,
            IndexUnchanged = rows?.Index is { } index && _indexed.TryGetValue(grainState, out var known) && known == index,
        });

        grainState.ETag = ETagOf(outcome.Version) ?? throw Conflict("WriteState", stateName, grainId, grainState.ETag);
        grainState.RecordExists = true;
        if (rows?.Index is { } written)
        {
            _indexed.AddOrUpdate(grainState, written);
        }
        else if (rows is not null)
        {
            _indexed.Remove(grainState);
        }
    }

    /// <summary>As the stock provider with <c>DeleteStateOnClear = false</c>: the row stays, payload NULL, version bumped.</summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (!grainState.RecordExists && string.IsNullOrWhiteSpace(grainState.ETag))
        {
            await ReadStateAsync(stateName, grainId, grainState);
            if (!grainState.RecordExists)
            {
                return;
            }
        }

        var outcome = await _queue.RunAsync(new StorageOperation(
            StorageOperationKind.Clear, StorageKey.Create(stateName, grainId), VersionOf(grainState.ETag), null));

        grainState.ETag = ETagOf(outcome.Version) ?? throw Conflict("ClearState", stateName, grainId, grainState.ETag);
        grainState.RecordExists = false;
        grainState.State = NewState<T>();
    }

    private static int? VersionOf(string? etag) =>
        string.IsNullOrWhiteSpace(etag) ? null : int.Parse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static string? ETagOf(int? version) => version?.ToString(CultureInfo.InvariantCulture);

    private T NewState<T>() => _activators.GetActivator<T>().Create();

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? etag) =>
        new($"Version conflict ({operation}): ServiceId={_serviceId} ProviderName={_name} GrainType={stateName} GrainId={grainId} ETag={etag}.",
            storedEtag: null, currentEtag: etag, storageException: null);

    /// <summary>The serialized state's own array when it is exactly that (the serializers make a fresh one), else a copy.</summary>
    private static byte[] Bytes(BinaryData data) =>
        MemoryMarshal.TryGetArray(data.ToMemory(), out var segment) && segment is { Offset: 0, Array: { } array } && segment.Count == array.Length
            ? array
            : data.ToArray();
}
