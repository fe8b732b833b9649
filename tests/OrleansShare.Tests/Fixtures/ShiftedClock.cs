namespace OrleansShare.Tests.Fixtures;

/// <summary>The system clock moved forward by whatever a test adds: time passes at its real pace plus the shift.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _shiftTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _shiftTicks));
}
