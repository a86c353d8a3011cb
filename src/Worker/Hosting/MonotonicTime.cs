namespace Avatar.Worker.Hosting;

/// <summary>Moments on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), which a step of the wall clock does not move.</summary>
public static class MonotonicTime
{
    /// <summary>The timestamp <paramref name="wait"/> from now.</summary>
    public static long TimestampIn(this TimeProvider clock, TimeSpan wait) =>
        clock.GetTimestamp() + (long)(wait.TotalSeconds * clock.TimestampFrequency);
}
