namespace Avatar.Worker.Scheduling;

/// <summary>When this instance's dispatcher last completed a pass; read by the readiness check.</summary>
public sealed class DispatcherHeartbeat
{
    private long lastTicks;

    public DateTimeOffset? Last => Interlocked.Read(ref lastTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Beat(DateTimeOffset now) => Interlocked.Exchange(ref lastTicks, now.UtcTicks);
}
