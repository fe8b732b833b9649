using System.Collections.Concurrent;

namespace OrleansShare.Silo.Webhooks;

/// <summary>The posts a loop has started and not seen end, so that it can wait for them when the host stops.</summary>
internal sealed class PostsInFlight
{
    private readonly ConcurrentDictionary<Task, bool> _tasks = new();

    public void Add(Task post)
    {
        _tasks.TryAdd(post, true);
        _ = post.ContinueWith(t => _tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public Task WhenAll() => Task.WhenAll(_tasks.Keys);
}
