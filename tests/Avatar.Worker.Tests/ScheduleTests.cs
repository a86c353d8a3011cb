using Avatar.Persistence;
using Avatar.Worker.Workflows;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new() { Now = Start };
    private readonly Schedule schedule;

    public ScheduleTests() => schedule = new Schedule(Options.Create(new WorkflowOptions()), clock);

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
    public void Next_poll_is_the_backoff_with_a_little_jitter()
    {
        var next = schedule.Next(Row(deadline: Start.AddMinutes(15), attempts: 1))!.Value;

        Assert.InRange(next - Start, TimeSpan.FromSeconds(2.7), TimeSpan.FromSeconds(3.3));
    }

    [Fact]
    public void Retry_after_longer_than_the_backoff_is_honoured()
    {
        var next = schedule.Next(Row(deadline: Start.AddMinutes(15)), retryAfter: TimeSpan.FromSeconds(40))!.Value;

        Assert.Equal(Start.AddSeconds(40), next);
    }

    [Fact]
    public void Retry_after_never_pushes_past_the_deadline()
    {
        var deadline = Start.AddSeconds(10);

        Assert.Equal(deadline, schedule.Next(Row(deadline), retryAfter: TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Nothing_is_scheduled_once_the_deadline_has_passed()
    {
        var row = Row(deadline: Start);

        Assert.Null(schedule.Next(row));
        Assert.False(schedule.TryRetry(row));
        Assert.Null(row.NextPollAt);
    }

    [Fact]
    public void Retry_releases_the_claim_and_counts_the_attempt()
    {
        var row = Row(deadline: Start.AddMinutes(1));
        schedule.Hold(row);

        Assert.True(schedule.TryRetry(row));

        Assert.Null(row.LeaseExpiresAt);
        Assert.NotNull(row.LeaseToken);
        Assert.Equal(1, row.PollAttempts);
        Assert.True(row.NextPollAt > Start);
    }

    [Fact]
    public void Now_has_database_precision()
    {
        clock.Now = Start.AddTicks(1234567);

        Assert.Equal(0, schedule.Now.Ticks % 10);
    }

    private static AvatarSubmission Row(DateTimeOffset deadline, int attempts = 0) => new()
    {
        GroupId = "g",
        ProjectName = "default",
        Deadline = deadline,
        PollAttempts = attempts,
    };

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
