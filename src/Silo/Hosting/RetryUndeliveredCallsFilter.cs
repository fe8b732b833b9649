using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.CodeGeneration;
using Orleans.Serialization.Invocation;
using OrleansShare.Grains.Common;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Repeats a client call that a silo leaving the cluster could not answer, so that a rolling restart or a silo crash
/// is not an error for the caller. A rejected message was never processed, so any call may be repeated; a call whose
/// silo died may have run, so only methods marked <see cref="RetrySafeAttribute"/> are, and a repeat that comes after
/// the cluster declared the silo dead finds the grain activated elsewhere. A call still unanswered when the cluster
/// declares a silo dead (<see cref="ISiloDeathSignal"/>) gets <see cref="DeadSiloGrace"/> more and then counts as lost with
/// that silo: Orleans breaks such calls for silo callers, not for clients. Repeats stop <see cref="RepeatWindow"/> after
/// the call began: what still fails reaches the caller, who answers 503. In a gateway that hosts a silo (embedded,
/// co-hosted) only the calls that do not come from a grain are the gateway's: grains' own calls pass as they are.
/// </summary>
internal sealed partial class RetryUndeliveredCallsFilter(IServiceProvider services, ILogger<RetryUndeliveredCallsFilter> logger) : IOutgoingGrainCallFilter
{
    /// <summary>
    /// How long a call outstanding at a death declaration may still answer: a call on a live silo answers in
    /// milliseconds, and one a live silo had made to the dead one is broken by that silo when it learns of the death.
    /// </summary>
    public static readonly TimeSpan DeadSiloGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>How long after a call began it may still be repeated: past a death declaration with room to spare.</summary>
    public static readonly TimeSpan DefaultRepeatWindow = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    /// <summary>True inside a repeat this filter makes as a new call: that call is one attempt; the outer call owns the loop.</summary>
    private static readonly AsyncLocal<bool> Repeating = new();

    private static readonly Task<string> Never = new TaskCompletionSource<string>().Task;

    private readonly ISiloDeathSignal? _deaths = services.GetService<ISiloDeathSignal>();

    /// <summary>How long after a call began it may still be repeated.</summary>
    internal TimeSpan RepeatWindow { get; init; } = DefaultRepeatWindow;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.SourceContext is not null)
        {
            await context.Invoke();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var declaration = NextDeclaration;
        var (failure, abandoned) = await AttemptAsync(context, declaration);
        if (Repeating.Value)
        {
            return;
        }

        for (var attempt = 0; failure is not null && IsRepeatable(failure, context.InterfaceMethod)
            && Stopwatch.GetElapsedTime(started) < RepeatWindow; attempt++)
        {
            // After a death declaration the grain is placed anew: repeat soon. Otherwise back off, but repeat as soon as
            // the cluster declares a silo dead (most likely the one that rejected or lost this call).
            await (declaration.IsCompleted
                ? Task.Delay(Backoff[0])
                : Task.WhenAny(declaration, Task.Delay(Backoff[Math.Min(attempt, Backoff.Length - 1)])));

            LogRepeating(logger, context.InterfaceName, context.MethodName, attempt + 1, failure.Message);
            declaration = NextDeclaration;
            if (abandoned)
            {
                failure = await RepeatAsNewCallAsync(context);
            }
            else
            {
                context.Response = null;
                (failure, abandoned) = await AttemptAsync(context, declaration);
            }
        }
    }

    private Task<string> NextDeclaration => _deaths?.NextDeclaration ?? Never;

    /// <summary>
    /// One attempt through the rest of the pipeline; its failure, if any, is left in <c>context.Response</c> and returned.
    /// Abandoned when it is still unanswered <see cref="DeadSiloGrace"/> after a death declaration.
    /// </summary>
    private async Task<(Exception? Failure, bool Abandoned)> AttemptAsync(IOutgoingGrainCallContext context, Task<string> declaration)
    {
        Task call;
        try
        {
            call = context.Invoke();
        }
        catch (Exception ex)
        {
            call = Task.FromException(ex);
        }

        if (!call.IsCompleted && _deaths is not null
            && await Task.WhenAny(call, declaration) != call
            && await Task.WhenAny(call, Task.Delay(DeadSiloGrace)) != call)
        {
            // Orleans completes the abandoned call at its response timeout; its outcome no longer matters.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            var silos = await declaration;
            LogPresumedLost(logger, context.InterfaceName, context.MethodName, silos);
            var lost = new SiloUnavailableException(
                $"{context.InterfaceName}.{context.MethodName} had no answer when the cluster declared silo {silos} dead, and is presumed lost with it.");
            context.Response = Response.FromException(lost);
            return (lost, true);
        }

        try
        {
            await call;
        }
        catch (Exception ex)
        {
            context.Response = Response.FromException(ex);
            return (ex, false);
        }

        return (context.Response?.Exception, false);
    }

    /// <summary>
    /// Repeats an abandoned call as a new call of the same request: the first attempt may still be pending inside
    /// Orleans, and the pipeline of a call cannot be entered again until it returns.
    /// </summary>
    private async Task<Exception?> RepeatAsNewCallAsync(IOutgoingGrainCallContext context)
    {
        Repeating.Value = true;
        try
        {
            var runtime = services.GetRequiredService<IGrainReferenceRuntime>();
            context.Result = await runtime.InvokeMethodAsync<object>((GrainReference)context.Grain, context.Request, InvokeMethodOptions.None);
            return null;
        }
        catch (Exception ex)
        {
            context.Response = Response.FromException(ex);
            return ex;
        }
        finally
        {
            Repeating.Value = false;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "{Interface}.{Method} had no answer when silo {Silos} was declared dead: presumed lost with it")]
    private static partial void LogPresumedLost(ILogger logger, string @interface, string method, string silos);
}
