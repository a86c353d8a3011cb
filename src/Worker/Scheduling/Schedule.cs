using Avatar.Persistence;
using Avatar.Worker.Telemetry;
using Avatar.Worker.XCompute;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// The schedule as one message's work sees it: the database's clock, claiming and holding rows, and when a row is due
/// next (exponential backoff with jitter, a Retry-After floor, never past the deadline). One per message (scoped).
/// </summary>
public sealed class Schedule(
    AvatarDbContext db,
    DatabaseClock databaseClock,
    IOptions<PollingOptions> options,
    TimeProvider clock,
    DispatchWakeUps? wakeUps = null,
    EstimateRecord? estimates = null)
{
    private readonly PollingOptions polling = options.Value;
    private DateTimeOffset? anchor;
    private long anchoredAt; // a timestamp of the monotonic clock

    /// <summary>
    /// The database's time, to its precision (microseconds, so a stored time reads back unchanged), run on by this
    /// process's monotonic clock. Every time the schedule stores comes from here, so instances whose clocks disagree (or
    /// whose wall clocks are stepped) still agree on what is due and when a claim lapses.
    /// </summary>
    public DateTimeOffset Now
    {
        get
        {
            var now = (anchor ?? throw new InvalidOperationException("The schedule's clock is not set: call SyncAsync or HoldAsync first."))
                + clock.GetElapsedTime(anchoredAt);
            return now.AddTicks(-(now.Ticks % 10));
        }
    }

    /// <summary>
    /// Sets <see cref="Now"/> from the database's clock: the process's recent reading (<see cref="DatabaseClock"/>), or a
    /// fresh one when there is none.
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (databaseClock.Recent() is { } recent)
        {
            Anchor(recent);
            return;
        }

        var asked = clock.GetTimestamp();
        Anchor(databaseClock.Remember(await db.NowAsync(cancellationToken), asked));
    }

    internal void Anchor(DateTimeOffset databaseNow)
    {
        anchor = databaseNow;
        anchoredAt = clock.GetTimestamp();
    }

    /// <summary>
    /// Holds the claim a poll message carries and loads its row, or returns null when the claim is stale (a duplicate, a
    /// redelivery, or a claim that lapsed). The hold replaces the claim's token, so only one delivery gets the row.
    /// </summary>
    public async Task<TRow?> HoldAsync<TRow>(Guid id, Guid claim, CancellationToken cancellationToken)
        where TRow : class, IScheduled
    {
        var asked = clock.GetTimestamp();
        if (await db.HoldAsync<TRow>(id, claim, Guid.NewGuid(), polling.Lease, cancellationToken) is not { } row)
        {
            return null;
        }

        // The hold set NextPollAt to the database's now() plus the lease: the row tells the database's time.
        Anchor(databaseClock.Remember(row.Schedule.NextPollAt!.Value - polling.Lease, asked));
        return row;
    }

    /// <summary>Claims a row the caller is about to work on (a new row, or one a command restarts), so no dispatcher takes it meanwhile.</summary>
    public void Claim(IScheduled row, DateTimeOffset deadline)
    {
        ScheduleTracing.Remember(row);
        row.Schedule.Deadline = deadline;
        row.Schedule.Claim(Now, polling.Lease);
        row.UpdatedAt = Now;
    }

    /// <summary>The backoff wait after <paramref name="attempts"/> earlier attempts, before jitter.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var seconds = polling.InitialDelay.TotalSeconds * Math.Pow(polling.Multiplier, Math.Min(attempts, 64));
        return TimeSpan.FromSeconds(Math.Min(seconds, polling.MaxDelay.TotalSeconds));
    }

    /// <summary>
    /// The next attempt for <paramref name="row"/>, or null once its deadline has passed: after <paramref name="planned"/>
    /// when given (plus up to 100 ms, never earlier: a review polled just before its predicted end costs one more poll),
    /// else after the backoff (±10 %). A Retry-After longer than that wins, but the last attempt always happens at the
    /// deadline, not after it.
    /// </summary>
    public DateTimeOffset? Next(IScheduled row, TimeSpan? retryAfter = null, TimeSpan? planned = null)
    {
        var now = Now;
        var deadline = row.Schedule.Deadline;
        if (now >= deadline)
        {
            return null;
        }

        var wait = planned is { } exact
            ? exact + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * 100)
            : Backoff(row.Schedule.PollAttempts) * (0.9 + (Random.Shared.NextDouble() * 0.2));
        if (retryAfter > wait)
        {
            wait = retryAfter.Value;
        }

        var next = now + wait;
        return next < deadline ? next : deadline;
    }

    /// <summary>Schedules <paramref name="row"/> again; false when its deadline has passed and the caller must end it.</summary>
    public bool TryRetry(IScheduled row, TimeSpan? retryAfter = null)
    {
        if (Next(row, retryAfter) is not { } next)
        {
            return false;
        }

        Release(row, next);
        return true;
    }

    /// <summary>
    /// Schedules the next poll of a review still in progress by <see cref="PollingOptions.Strategy"/>; false when its
    /// deadline has passed and the caller must end it.
    /// </summary>
    public bool TryPollReview(IScheduled row, DateTimeOffset submittedAt, ReviewObservation seen, ReviewObservation? previous)
    {
        var planned = polling.Strategy switch
        {
            PollingStrategy.Fixed => polling.FixedInterval,
            PollingStrategy.Adaptive => ReviewForecast.Wait(
                submittedAt, seen, previous, estimates?.Spread(), Backoff(row.Schedule.PollAttempts), polling.MinDelay, polling.MaxDelay),
            _ => (TimeSpan?)null,
        };
        if (Next(row, planned: planned) is not { } next)
        {
            return false;
        }

        Release(row, next);
        return true;
    }

    /// <summary>
    /// A review ended after <paramref name="actual"/> (xcompute's account), against its <paramref name="estimate"/>: the
    /// error goes to this instance's <see cref="EstimateRecord"/>, for the forecasts of the reviews after it.
    /// </summary>
    public void ReviewEnded(TimeSpan? estimate, TimeSpan? actual)
    {
        if (estimate is { } expected && actual is { } took)
        {
            estimates?.Learn(expected, took);
        }
    }

    /// <summary>
    /// Schedules <paramref name="row"/> again after a failed xcompute call, as <see cref="TryRetry(IScheduled, TimeSpan?)"/>;
    /// but a call the request budget held back was never the row's attempt: it waits only for the pause to end, and
    /// its backoff does not grow.
    /// </summary>
    public bool TryRetry(IScheduled row, XComputeFailure failure)
    {
        if (!failure.HeldBack || failure.RetryAfter is not { } pause)
        {
            return TryRetry(row, failure.RetryAfter);
        }

        if (Next(row, planned: pause) is not { } next)
        {
            return false;
        }

        row.Schedule.Postpone(next);
        Rescheduled(row, next);
        return true;
    }

    /// <summary>Nothing to do until <paramref name="deadline"/>, when the row's current step ends (a session awaiting its person).</summary>
    public void WaitUntil(IScheduled row, DateTimeOffset deadline)
    {
        row.Schedule.Deadline = deadline;
        row.Schedule.PollAttempts = 0;
        Release(row, deadline);
    }

    /// <summary>The row has nothing left to do.</summary>
    public void Finish(IScheduled row) => Release(row, null);

    /// <summary>The row's steps keep failing inside the worker: stop trying rather than loop.</summary>
    public bool IsStuck(IScheduled row) => row.Schedule.UnfinishedAttempts > polling.MaxUnfinishedAttempts;

    public const string StuckReason = "the worker kept failing on this row (see its log and the _error queues) and gave up";

    private void Release(IScheduled row, DateTimeOffset? next)
    {
        row.Schedule.Release(next);
        Rescheduled(row, next);
    }

    // The row changed now; if it is due again, this instance's dispatcher hears when.
    private void Rescheduled(IScheduled row, DateTimeOffset? next)
    {
        row.UpdatedAt = Now;
        if (next is { } due)
        {
            wakeUps?.DueIn(due - Now);
        }
    }
}
