using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// What <c>/health/ready</c> reports about the database and the cluster: checked at most once per <see cref="MaxAge"/>
/// and never twice at once, however often probes ask; in between they get the last result. A probe storm therefore costs
/// the database at most one <c>SELECT 1</c> a second per gateway.
/// </summary>
internal sealed class ReadinessProbe
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<CancellationToken, Task<(bool DatabaseUp, int Silos)>> _check;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Task<ReadinessCheck>? _last;
    private DateTimeOffset _lastStartedAt;
    private long _checks;

    public ReadinessProbe(IGrainFactory grains, Database database, LocalSilo local, TimeProvider time)
        : this(ct => CheckAsync(grains, database, local, ct), time)
    {
    }

    /// <summary>A probe over any <paramref name="check"/> (tests).</summary>
    internal ReadinessProbe(Func<CancellationToken, Task<(bool DatabaseUp, int Silos)>> check, TimeProvider time)
    {
        _check = check;
        _time = time;
    }

    /// <summary>How many checks (database round trips) have been started.</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>The last result when it is younger than <see cref="MaxAge"/> or still being checked; otherwise a new check.</summary>
    public Task<ReadinessCheck> CurrentAsync()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_last is null || (_last.IsCompleted && now - _lastStartedAt >= MaxAge))
            {
                _lastStartedAt = now;
                Interlocked.Increment(ref _checks);
                _last = RunAsync(now);
            }

            return _last;
        }
    }

    private async Task<ReadinessCheck> RunAsync(DateTimeOffset startedAt)
    {
        // Not the asking request's cancellation: other probes share this check.
        using var timeout = new CancellationTokenSource(CheckTimeout, _time);
        try
        {
            var (databaseUp, silos) = await _check(timeout.Token);
            return new ReadinessCheck(databaseUp, silos, startedAt);
        }
        catch (Exception)
        {
            // Whatever stops the check (a timeout, the membership table unreadable): not ready, until the next check.
            return new ReadinessCheck(false, 0, startedAt);
        }
    }

    private static async Task<(bool, int)> CheckAsync(IGrainFactory grains, Database database, LocalSilo local, CancellationToken cancellationToken)
    {
        var databaseUp = await database.PingAsync(cancellationToken);
        var silos = 0;
        if (local.IsActive)
        {
            try
            {
                silos = (await grains.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken).WaitAsync(cancellationToken)).Count;
            }
            catch (Exception)
            {
                // Whatever stops the cluster answering (no silo, a timeout, the membership table unreadable): not ready.
                silos = 0;
            }
        }

        return (databaseUp, silos);
    }
}

/// <summary>One readiness check: whether the database answered, how many silos the cluster has, when it was checked.</summary>
internal sealed record ReadinessCheck(bool DatabaseUp, int Silos, DateTimeOffset CheckedAt);
