using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization.Invocation;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Tests.Unit;

public sealed class RetryUndeliveredCallsFilterTests
{
    private static readonly MethodInfo RetrySafeMethod = typeof(IShareTokenGrain).GetMethod(nameof(IShareTokenGrain.Redeem))!;
    private static readonly MethodInfo OtherMethod = typeof(ISessionGrain).GetMethod(nameof(ISessionGrain.Create))!;

    private readonly RetryUndeliveredCallsFilter _filter = new(new ServiceCollection().BuildServiceProvider(), NullLogger<RetryUndeliveredCallsFilter>.Instance)
    {
        RepeatWindow = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task ARejectedCallIsRepeatedUntilItIsAnswered()
    {
        var call = new ScriptedCall(OtherMethod, Rejected(), Rejected(), Response.FromResult("done"));

        await _filter.Invoke(call);

        Assert.Equal(3, call.Attempts);
        Assert.Equal("done", call.Response!.Result);
    }

    [Fact]
    public async Task AVanishedSiloRepeatsOnlyRetrySafeMethods()
    {
        var safe = new ScriptedCall(RetrySafeMethod, Vanished(), Response.FromResult("done"));
        var other = new ScriptedCall(OtherMethod, Vanished(), Response.FromResult("done"));

        await _filter.Invoke(safe);
        await _filter.Invoke(other);

        Assert.Equal((2, "done"), (safe.Attempts, safe.Response!.Result));
        Assert.Equal(1, other.Attempts);
        Assert.IsType<SiloUnavailableException>(other.Response!.Exception);
    }

    [Fact]
    public async Task RepeatsAreBoundedInTimeAndTheLastFailureReachesTheCaller()
    {
        var call = new ScriptedCall(OtherMethod, Enumerable.Range(0, 10).Select(_ => Rejected()).ToArray());

        await _filter.Invoke(call);

        // Backoff 100 ms, then 250 ms: the window of 300 ms has passed by the third attempt (sooner on a slow machine).
        Assert.InRange(call.Attempts, 2, 3);
        Assert.IsType<OrleansMessageRejectionException>(call.Response!.Exception);
    }

    [Fact]
    public async Task ACallStillWaitingWhenASiloIsDeclaredDeadFailsAtOnce()
    {
        var deaths = new Deaths();
        var services = new ServiceCollection().AddSingleton<ISiloDeathSignal>(deaths).BuildServiceProvider();
        var filter = new RetryUndeliveredCallsFilter(services, NullLogger<RetryUndeliveredCallsFilter>.Instance);
        var lost = new ScriptedCall(OtherMethod, pending: true);

        var invocation = filter.Invoke(lost);
        deaths.Declare("127.0.0.1:11111@1");
        await invocation.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // Not safe to repeat: the caller learns at once (after the grace) that its silo died, not at the response timeout.
        Assert.Equal(1, lost.Attempts);
        var failure = Assert.IsType<SiloUnavailableException>(lost.Response!.Exception);
        Assert.Contains("127.0.0.1:11111@1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherFailuresAreNotRepeated()
    {
        var call = new ScriptedCall(RetrySafeMethod, Response.FromException(new TimeoutException("late")), Response.FromResult("done"));

        await _filter.Invoke(call);

        Assert.Equal(1, call.Attempts);
        Assert.IsType<TimeoutException>(call.Response!.Exception);
    }

    [Fact]
    public async Task AFailureThrownWhileSendingIsRepeatedLikeAnAnsweredOne()
    {
        var call = new ScriptedCall(RetrySafeMethod, null, Response.FromResult("done"));

        await _filter.Invoke(call);

        Assert.Equal((2, "done"), (call.Attempts, call.Response!.Result));
    }

    [Fact]
    public async Task CallsAGrainMakesAreNotTheGatewaysToRepeat()
    {
        var call = new ScriptedCall(OtherMethod, Rejected(), Response.FromResult("done")) { SourceContext = AGrain() };

        await _filter.Invoke(call);

        Assert.Equal(1, call.Attempts);
        Assert.IsType<OrleansMessageRejectionException>(call.Response!.Exception);
    }

    /// <summary>The context of a calling grain (in a silo that also serves HTTP, its calls pass the same filter).</summary>
    private static IGrainContext AGrain() => DispatchProxy.Create<IGrainContext, NothingImplemented>();

    /// <summary>What a silo on its way down answers; Orleans constructs these only internally.</summary>
    private static Response Rejected() => Response.FromException((Exception)Activator.CreateInstance(
        typeof(OrleansMessageRejectionException), BindingFlags.NonPublic | BindingFlags.Instance, null, ["Silo stopping"], null)!);

    private static Response Vanished() => Response.FromException(new SiloUnavailableException("The target silo became unavailable"));

    /// <summary>
    /// An outgoing call whose attempts answer the scripted responses in turn; a null entry is a send that throws
    /// (no gateway to send to).
    /// </summary>
    private sealed class ScriptedCall(MethodInfo method, params Response?[] answers) : IOutgoingGrainCallContext
    {
        /// <summary>A call whose one attempt is never answered (its silo died with it).</summary>
        public ScriptedCall(MethodInfo method, bool pending)
            : this(method)
        {
            _pending = pending;
        }

        private readonly bool _pending;

        public int Attempts { get; private set; }

        public Response? Response { get; set; }

        public MethodInfo InterfaceMethod => method;

        public string InterfaceName => method.DeclaringType!.Name;

        public string MethodName => method.Name;

        public Task Invoke()
        {
            Assert.Null(Response);
            if (_pending)
            {
                Attempts++;
                return new TaskCompletionSource().Task;
            }

            var answer = answers[Attempts++];
            if (answer is null)
            {
                throw new SiloUnavailableException("No gateway is available.");
            }

            Response = answer;
            return Task.CompletedTask;
        }

        public IGrainContext? SourceContext { get; init; }

        public IInvokable Request => throw new NotSupportedException();

        public object Grain => throw new NotSupportedException();

        public GrainId? SourceId => null;

        public GrainId TargetId => default;

        public GrainInterfaceType InterfaceType => default;

        public object? Result
        {
            get => Response?.Result;
            set => Response = Response.FromResult(value);
        }
    }

    /// <summary>An interface implementation whose every member throws: for contexts the filter only compares with null.</summary>
    public class NothingImplemented : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>A membership view whose deaths the test declares.</summary>
    private sealed class Deaths : ISiloDeathSignal
    {
        private TaskCompletionSource<string> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> NextDeclaration => _next.Task;

        public void Declare(string silos) => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(silos);
    }
}
