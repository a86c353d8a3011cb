using Avatar.Persistence;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Workflows;

/// <summary>When a row is due next: exponential backoff with jitter, a Retry-After floor, and never past the deadline.</summary>
public sealed class Schedule(IOptions<WorkflowOptions> options, TimeProvider clock)
{
    private readonly PollingOptions polling = options.Value.Polling;

    /// <summary>The current time at PostgreSQL's precision (microseconds), so a stored time reads back unchanged.</summary>
    public DateTimeOffset Now
    {
        get
        {
            var now = clock.GetUtcNow();
            return now.AddTicks(-(now.Ticks % 10));
        }
    }

    /// <summary>The backoff wait after <paramref name="attempts"/> earlier attempts, before jitter.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var seconds = polling.InitialDelay.TotalSeconds * Math.Pow(polling.Multiplier, Math.Min(attempts, 64));
        return TimeSpan.FromSeconds(Math.Min(seconds, polling.MaxDelay.TotalSeconds));
    }

    /// <summary>
    /// The next attempt for <paramref name="row"/>, or null once its deadline has passed. A Retry-After longer than
    /// the backoff wins, but the last attempt always happens at the deadline, not after it.
    /// </summary>
    public DateTimeOffset? Next(IPolled row, TimeSpan? retryAfter = null)
    {
        var now = Now;
        if (now >= row.Deadline)
        {
            return null;
        }

        var wait = Backoff(row.PollAttempts) * (0.9 + (Random.Shared.NextDouble() * 0.2));
        if (retryAfter > wait)
        {
            wait = retryAfter.Value;
        }

        var next = now + wait;
        return next < row.Deadline ? next : row.Deadline;
    }

    /// <summary>Schedules <paramref name="row"/> again; false when its deadline has passed and the caller must end it.</summary>
    public bool TryRetry(IPolled row, TimeSpan? retryAfter = null)
    {
        if (Next(row, retryAfter) is not { } next)
        {
            return false;
        }

        row.ScheduleNext(next, Now);
        return true;
    }

    /// <summary>A new claim held by the code that creates or restarts a row, so nobody else picks it up meanwhile.</summary>
    public void Hold(IPolled row)
    {
        var now = Now;
        row.LeaseToken = Guid.NewGuid();
        row.LeaseExpiresAt = now + polling.Lease;
        row.NextPollAt = now;
        row.PollAttempts = 0;
        row.UpdatedAt = now;
    }

    public TimeSpan Lease => polling.Lease;

    /// <summary>The row's steps keep failing inside the worker: stop trying rather than loop through the error queue.</summary>
    public bool IsStuck(IPolled row) => row.UnfinishedAttempts > polling.MaxUnfinishedAttempts;

    public const string StuckReason = "the worker kept failing on this row (see its log and the _error queues) and gave up";
}
