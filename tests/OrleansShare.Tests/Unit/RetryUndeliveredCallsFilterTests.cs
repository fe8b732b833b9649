using System.Reflection;
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

    private readonly RetryUndeliveredCallsFilter _filter = new(NullLogger<RetryUndeliveredCallsFilter>.Instance);

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
    public async Task AttemptsAreBoundedAndTheLastFailureReachesTheCaller()
    {
        var call = new ScriptedCall(OtherMethod, Enumerable.Range(0, 10).Select(_ => Rejected()).ToArray());

        await _filter.Invoke(call);

        Assert.Equal(4, call.Attempts);
        Assert.IsType<OrleansMessageRejectionException>(call.Response!.Exception);
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
        public int Attempts { get; private set; }

        public Response? Response { get; set; }

        public MethodInfo InterfaceMethod => method;

        public string InterfaceName => method.DeclaringType!.Name;

        public string MethodName => method.Name;

        public Task Invoke()
        {
            Assert.Null(Response);
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
}
