using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Grains.Sessions;

namespace OrleansShare.Grains.Webhooks;

/// <summary>
/// Takes a session's first event (sequence 1) from the grain that stored it, right after that write, so that the
/// silo's dispatcher can make the event's first delivery attempts at once: no poll, and no round trip to fan it out or
/// claim it. Only a first event: no earlier event of its session can still be undelivered, so attempting it at once
/// keeps the session's deliveries in order. The outbox row stays the durable record until the attempts are recorded;
/// an event never handed on (a full queue, a silo gone) is fanned out from there by any silo.
/// </summary>
public interface IFirstEventHandoff
{
    /// <summary>Never blocks and never throws: an event that cannot be taken now is left to the outbox.</summary>
    void Stored(SessionView session, SessionEvent sessionEvent);

    /// <summary>An application's destinations changed: what this silo knows of them is read again.</summary>
    void DestinationsChanged(Guid applicationId);

    /// <summary>The host's handoff; where it runs no webhook dispatcher (a test host), one that leaves every event to the outbox.</summary>
    static IFirstEventHandoff Of(IServiceProvider services) => services.GetService<IFirstEventHandoff>() ?? None.Instance;

    private sealed class None : IFirstEventHandoff
    {
        public static readonly None Instance = new();

        public void Stored(SessionView session, SessionEvent sessionEvent)
        {
        }

        public void DestinationsChanged(Guid applicationId)
        {
        }
    }
}
