using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DatabaseStart = Start.AddMinutes(7);
    private readonly SteppingClock clock = new(Start);
    private readonly Schedule schedule;

    public ScheduleTests()
    {
        // The rules need no database; the context is never opened.
        var db = AvatarDbContext.Open("Host=unused");
        schedule = new Schedule(db, new DatabaseClock(clock), Options.Create(new PollingOptions()), clock);
        schedule.Anchor(DatabaseStart);
    }

    [Fact]
    public void Backoff_starts_near_two_seconds_and_grows_to_the_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.Backoff(0));
        Assert.Equal(TimeSpan.FromSeconds(3), schedule.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(4.5), schedule.Backoff(2));
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.Backoff(20));
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.Backoff(int.MaxValue));
    }

    [Fact]
    public void Now_is_the_database_clock_running_on()
    {
        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(DatabaseStart.AddSeconds(3), schedule.Now);
    }

    [Fact]
    public void A_step_of_the_wall_clock_does_not_move_now()
    {
        clock.StepWallClock(TimeSpan.FromHours(-1));
        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(DatabaseStart.AddSeconds(3), schedule.Now);
    }

    [Fact]
    public void Now_is_refused_before_the_database_clock_is_read()
    {
        var db = AvatarDbContext.Open("Host=unused");
        var unsynced = new Schedule(db, new DatabaseClock(clock), Options.Create(new PollingOptions()), clock);

        Assert.Throws<InvalidOperationException>(() => unsynced.Now);
    }

    [Fact]
    public async Task A_recent_reading_of_the_database_clock_sets_the_step_clock_without_a_statement()
    {
        // "Host=unused" cannot be connected to: a statement would throw.
        var db = AvatarDbContext.Open("Host=unused;Timeout=1");
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(DatabaseStart);
        var step = new Schedule(db, databaseClock, Options.Create(new PollingOptions()), clock);
        clock.Advance(TimeSpan.FromSeconds(5));

        await step.SyncAsync(CancellationToken.None);

        Assert.Equal(DatabaseStart.AddSeconds(5), step.Now);
    }

    [Fact]
    public void Next_poll_is_the_backoff_with_a_little_jitter()
    {
        var next = schedule.Next(Row(deadline: DatabaseStart.AddMinutes(15), attempts: 1))!.Value;

        Assert.InRange(next - DatabaseStart, TimeSpan.FromSeconds(2.7), TimeSpan.FromSeconds(3.3));
    }

    [Fact]
    public void Retry_after_longer_than_the_backoff_is_honoured()
    {
        var next = schedule.Next(Row(deadline: DatabaseStart.AddMinutes(15)), retryAfter: TimeSpan.FromSeconds(40))!.Value;

        Assert.Equal(DatabaseStart.AddSeconds(40), next);
    }

    [Fact]
    public void Retry_after_never_pushes_past_the_deadline()
    {
        var deadline = DatabaseStart.AddSeconds(10);

        Assert.Equal(deadline, schedule.Next(Row(deadline), retryAfter: TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Nothing_is_scheduled_once_the_deadline_has_passed()
    {
        var row = Row(deadline: DatabaseStart);
        schedule.Claim(row, DatabaseStart);

        Assert.Null(schedule.Next(row));
        Assert.False(schedule.TryRetry(row));
        Assert.Equal(DatabaseStart + new PollingOptions().Lease, row.Schedule.NextPollAt);
    }

    [Fact]
    public void A_claimed_row_is_due_again_when_its_lease_ends()
    {
        var row = Row(deadline: DatabaseStart.AddMinutes(1));

        schedule.Claim(row, DatabaseStart.AddMinutes(1));

        Assert.NotNull(row.Schedule.LeaseToken);
        Assert.Equal(DatabaseStart + new PollingOptions().Lease, row.Schedule.NextPollAt);
    }

    [Fact]
    public void Retry_releases_the_claim_keeps_its_token_and_counts_the_attempt()
    {
        var row = Row(deadline: DatabaseStart.AddMinutes(1));
        schedule.Claim(row, DatabaseStart.AddMinutes(1));
        var token = row.Schedule.LeaseToken;
        row.Schedule.UnfinishedAttempts = 3;

        Assert.True(schedule.TryRetry(row));

        Assert.Equal(token, row.Schedule.LeaseToken);
        Assert.Equal(1, row.Schedule.PollAttempts);
        Assert.Equal(0, row.Schedule.UnfinishedAttempts);
        Assert.InRange(row.Schedule.NextPollAt!.Value - DatabaseStart, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(2.2));
    }

    [Fact]
    public void Finishing_leaves_nothing_due()
    {
        var row = Row(deadline: DatabaseStart.AddMinutes(1));
        schedule.Claim(row, DatabaseStart.AddMinutes(1));

        schedule.Finish(row);

        Assert.True(row.Schedule.IsFinished);
    }

    [Fact]
    public void Now_has_database_precision()
    {
        clock.Advance(TimeSpan.FromTicks(1234567));

        Assert.Equal(0, schedule.Now.Ticks % 10);
    }

    [Fact]
    public void Outage_retries_span_the_tolerance_at_most_thirty_seconds_apart()
    {
        var intervals = new Messaging.MessagingOptions { OutageTolerance = TimeSpan.FromMinutes(5) }.OutageIntervals();

        Assert.Equal(TimeSpan.FromMinutes(5), intervals.Aggregate(TimeSpan.Zero, (a, b) => a + b));
        Assert.Equal(TimeSpan.FromSeconds(1), intervals[0]);
        Assert.All(intervals, i => Assert.InRange(i, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
    }

    private static AvatarSubmission Row(DateTimeOffset deadline, int attempts = 0) => new()
    {
        GroupId = "g",
        ProjectName = "default",
        Schedule = { Deadline = deadline, PollAttempts = attempts },
    };
}
