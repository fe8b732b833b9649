using System.Reflection;
using Microsoft.Extensions.Logging;
using OrleansShare.Grains.Common;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Repeats a client call that a silo on its way down could not deliver, so that a rolling restart is not an error
/// for the caller. A rejected message was never processed, so any call may be repeated; a call whose silo
/// vanished before it answered may have run, so only methods marked <see cref="RetrySafeAttribute"/> are.
/// A few short attempts only: what still fails reaches the caller, who answers 503. In a gateway that hosts a silo
/// (embedded, co-hosted) only the calls that do not come from a grain are the gateway's: grains' own calls pass as they are.
/// </summary>
internal sealed partial class RetryUndeliveredCallsFilter(ILogger<RetryUndeliveredCallsFilter> logger) : IOutgoingGrainCallFilter
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500)];

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.SourceContext is not null)
        {
            await context.Invoke();
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            Exception? failure;
            try
            {
                await context.Invoke();
                failure = context.Response?.Exception;
            }
            catch (Exception ex) when (attempt < Backoff.Length && IsRepeatable(ex, context.InterfaceMethod))
            {
                failure = ex;
            }

            if (failure is null || attempt == Backoff.Length || !IsRepeatable(failure, context.InterfaceMethod))
            {
                return;
            }

            LogRepeating(logger, context.InterfaceName, context.MethodName, attempt + 1, failure.Message);
            context.Response = null;
            await Task.Delay(Backoff[attempt]);
        }
    }

    private static bool IsRepeatable(Exception failure, MethodInfo? method) => failure switch
    {
        SiloUnavailableException => method?.IsDefined(typeof(RetrySafeAttribute), inherit: false) == true,
        OrleansMessageRejectionException => true,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Repeating {Interface}.{Method} (attempt {Attempt}): {Reason}")]
    private static partial void LogRepeating(ILogger logger, string @interface, string method, int attempt, string reason);
}
