using Avatar.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// When this instance's dispatcher should look again. It looks every <see cref="PollingOptions.DispatchInterval"/>, and
/// also at the moments its own consumers just scheduled polls for, so a poll whose time the forecast names is sent at
/// that time rather than up to one interval after it.
/// </summary>
/// <remarks>
/// Only a hint, in memory: the schedule itself is in PostgreSQL, every instance's periodic look still finds every due
/// row, and a hint lost with its process costs at most one interval. Looks are at least <see cref="MinimumGap"/> apart,
/// so polls due close together are claimed by one statement.
/// </remarks>
public sealed class DispatchWakeUps(IOptions<PollingOptions> options, TimeProvider clock)
{
    /// <summary>The shortest time between two looks.</summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(50);

    // Beyond this many pending moments new ones are dropped: the periodic look covers them.
    private const int Capacity = 4096;

    private readonly TimeSpan interval = options.Value.DispatchInterval;
    private readonly TimeSpan lease = options.Value.Lease;
    // Timestamps of the monotonic clock: a step of the wall clock moves no wake-up.
    private readonly PriorityQueue<long, long> moments = new();
    private readonly Lock gate = new();

    /// <summary>A row this instance just stored falls due in <paramref name="wait"/> (this process's clock).</summary>
    public void DueIn(TimeSpan wait)
    {
        if (wait <= TimeSpan.Zero || wait >= lease)
        {
            return;
        }

        var at = clock.TimestampIn(wait);
        lock (gate)
        {
            if (moments.Count < Capacity)
            {
                moments.Enqueue(at, at);
            }
        }
    }

    /// <summary>How long the dispatcher sleeps after a look: until the next moment due, at most one interval, at least <see cref="MinimumGap"/>.</summary>
    public TimeSpan NextWait()
    {
        var now = clock.GetTimestamp();
        var wait = interval;
        lock (gate)
        {
            // The look just made served every moment up to now.
            while (moments.TryPeek(out var at, out _) && at <= now)
            {
                moments.Dequeue();
            }

            if (moments.TryPeek(out var next, out _) && clock.GetElapsedTime(now, next) is var left && left < wait)
            {
                wait = left;
            }
        }

        return wait < MinimumGap ? MinimumGap : wait;
    }
}
