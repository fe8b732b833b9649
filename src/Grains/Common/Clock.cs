namespace OrleansShare.Grains.Common;

/// <summary>Timestamps as the API shows them: UTC, millisecond precision.</summary>
public static class Clock
{
    public static DateTimeOffset UtcNowMilliseconds(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
