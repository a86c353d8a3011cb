using System.Net;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.XCompute;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>The instance's budget of xcompute calls: a rate, and a pause for everyone after a 429.</summary>
public sealed class RequestBudgetTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_429_holds_back_every_call_of_the_instance_for_its_retry_after()
    {
        var clock = new SteppingClock(Start);
        var budget = Budget(new XComputeOptions { MaxRequestsPerSecond = 0 }, clock);

        budget.Observe(TooManyRequests(TimeSpan.FromSeconds(5)));

        // Another row's call, two seconds later: held back with the three seconds left.
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(3), await budget.AcquireAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(3.1));
        Assert.Null(await budget.AcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_long_retry_after_pauses_the_instance_no_longer_than_the_cap()
    {
        var clock = new SteppingClock(Start);
        var budget = Budget(new XComputeOptions { MaxRequestsPerSecond = 0, MaxPause = TimeSpan.FromSeconds(60) }, clock);

        budget.Observe(TooManyRequests(TimeSpan.FromSeconds(600)));

        Assert.Equal(TimeSpan.FromSeconds(60), await budget.AcquireAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(await budget.AcquireAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(-3600)]
    [InlineData(3600)]
    public async Task A_step_of_the_wall_clock_neither_ends_a_pause_nor_stretches_it(int stepSeconds)
    {
        var clock = new SteppingClock(Start);
        var budget = Budget(new XComputeOptions { MaxRequestsPerSecond = 0 }, clock);
        budget.Observe(TooManyRequests(TimeSpan.FromSeconds(5)));

        clock.StepWallClock(TimeSpan.FromSeconds(stepSeconds));
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(3), await budget.AcquireAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(3.1));
        Assert.Null(await budget.AcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_burst_leaves_at_the_budgeted_rate_and_every_call_is_sent()
    {
        var sent = 0;
        var budget = Budget(new XComputeOptions { MaxRequestsPerSecond = 20 }, TimeProvider.System);
        var burst = Enumerable.Range(0, 60).Select(async _ =>
        {
            Assert.Null(await budget.AcquireAsync(CancellationToken.None));
            Interlocked.Increment(ref sent);
        }).ToList();
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Half a second at 20 a second is about 10 calls; a slow machine only sends fewer.
        Assert.InRange(Volatile.Read(ref sent), 1, 20);
        await Task.WhenAll(burst);
        Assert.Equal(60, sent);
    }

    [Fact]
    public void A_held_back_call_waits_only_for_the_pause_and_counts_no_attempt()
    {
        var schedule = new Schedule(
            AvatarDbContext.Open("Host=unused"), new DatabaseClock(TimeProvider.System), Options.Create(new PollingOptions()), TimeProvider.System);
        schedule.Anchor(Start);
        var row = new AvatarSubmission { GroupId = "g", ProjectName = "p", Schedule = { Deadline = Start.AddMinutes(15), PollAttempts = 10 } };
        var held = new XComputeFailure(FailureKind.RateLimited, 429, "held_back", "held back", TimeSpan.FromSeconds(0.4)) { HeldBack = true };

        Assert.True(schedule.TryRetry(row, held));

        // The backoff after ten attempts is 30 s; the pause had 0.4 s left.
        Assert.InRange((row.Schedule.NextPollAt!.Value - Start).TotalSeconds, 0.4, 0.51);
        Assert.Equal(10, row.Schedule.PollAttempts);
    }

    private static RequestBudget Budget(XComputeOptions options, TimeProvider clock) =>
        new(Options.Create(options), clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<RequestBudget>.Instance);

    private static HttpResponseMessage TooManyRequests(TimeSpan retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(retryAfter);
        return response;
    }
}
