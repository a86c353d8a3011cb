using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Avatar.Worker.Tests;

/// <summary>The prediction rule of adaptive polling (<see cref="ReviewForecast"/>), and how the schedule applies it.</summary>
public sealed class ReviewForecastTests
{
    private static readonly DateTimeOffset Submitted = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static ReviewObservation At(double seconds, int? progress, double? estimate = null) =>
        new(Submitted.AddSeconds(seconds), progress, estimate is { } e ? TimeSpan.FromSeconds(e) : null);

    [Fact]
    public void An_estimate_still_ahead_gives_the_end_counted_from_the_submission()
    {
        var forecast = ReviewForecast.End(Submitted, At(2, 18, estimate: 20), previous: null);

        Assert.Equal(new Forecast(Submitted.AddSeconds(20), Submitted.AddSeconds(20), FromEstimate: true), forecast);
    }

    [Fact]
    public void Linear_progress_gives_the_end_at_its_rate_since_the_last_poll()
    {
        // 10 -> 30 in the first 5 s, 30 -> 50 in the next 5 s: 4 points a second, 50 to go, at 22.5 s; give or take
        // 15% of the 10 s so far, and the poll at the late side.
        var forecast = ReviewForecast.End(Submitted, At(10, 50), At(5, 30));

        Assert.Equal(new Forecast(Submitted.AddSeconds(21), Submitted.AddSeconds(24), FromEstimate: false), forecast);
    }

    [Fact]
    public void Noisy_progress_uses_the_latest_rate_so_a_burst_brings_the_end_closer()
    {
        // 20 -> 60 in the last 5 s is 8 points a second (5 overall): 40 to go in 5 s, not 8.
        var slow = ReviewForecast.End(Submitted, At(10, 40), At(5, 35))!.Value.End;
        var burst = ReviewForecast.End(Submitted, At(10, 60), At(5, 20))!.Value.End;

        Assert.True(burst < slow, $"{burst:O} should be before {slow:O}");
        Assert.Equal(Submitted.AddSeconds(16.5), burst);
    }

    [Fact]
    public void A_plateau_falls_back_to_the_rate_since_the_submission()
    {
        // No advance since the last poll: 10 -> 50 over 10 s overall is 4 points a second, 50 to go (+ 1.5 s margin).
        var forecast = ReviewForecast.End(Submitted, At(10, 50), At(6, 50));

        Assert.Equal(Submitted.AddSeconds(24), forecast!.Value.End);
    }

    [Fact]
    public void Progress_that_stalls_at_the_start_says_nothing()
    {
        Assert.Null(ReviewForecast.End(Submitted, At(8, 10), At(4, 10)));
    }

    [Fact]
    public void Progress_going_backwards_says_nothing()
    {
        Assert.Null(ReviewForecast.End(Submitted, At(10, 40), At(5, 60)));
    }

    [Fact]
    public void Missing_progress_and_estimate_say_nothing()
    {
        Assert.Null(ReviewForecast.End(Submitted, At(4, null), previous: null));
    }

    [Fact]
    public void Within_a_second_past_a_whole_second_estimate_the_review_ends_any_moment()
    {
        // A 20.4 s review estimated at 20 s, polled at 20.1 s with progress on a plateau: poll again at the floor,
        // not at the end the plateau's slow rate would predict.
        var forecast = ReviewForecast.End(Submitted, At(20.1, 90, estimate: 20), At(0, 10));

        Assert.Equal(new Forecast(Submitted.AddSeconds(20.1), Submitted.AddSeconds(20.1), FromEstimate: true), forecast);
    }

    [Fact]
    public void An_overrun_estimate_gives_way_to_the_progress()
    {
        // The estimate said 20 s; at 30 s the review is at 70 and moved 2 points a second: 15 s to go, ± 4.5 s.
        var forecast = ReviewForecast.End(Submitted, At(30, 70, estimate: 20), At(25, 60));

        Assert.Equal(new Forecast(Submitted.AddSeconds(40.5), Submitted.AddSeconds(49.5), FromEstimate: false), forecast);
    }

    [Fact]
    public void The_wait_runs_to_the_predicted_end_within_the_floor_and_the_ceiling()
    {
        var floor = TimeSpan.FromSeconds(1);
        var ceiling = TimeSpan.FromSeconds(30);
        var end = Submitted.AddSeconds(20);

        Assert.Equal(TimeSpan.FromSeconds(18), ReviewForecast.Wait(Submitted.AddSeconds(2), end, floor, ceiling));
        Assert.Equal(floor, ReviewForecast.Wait(Submitted.AddSeconds(19.5), end, floor, ceiling));
        Assert.Equal(floor, ReviewForecast.Wait(Submitted.AddSeconds(25), end, floor, ceiling));
        Assert.Equal(ceiling, ReviewForecast.Wait(Submitted.AddSeconds(2), Submitted.AddMinutes(10), floor, ceiling));
    }

    [Theory]
    [InlineData(PollingStrategy.Adaptive, 18.0)]
    [InlineData(PollingStrategy.Fixed, 3.0)]
    [InlineData(PollingStrategy.Backoff, 2.0)]
    public void The_schedule_times_a_review_s_next_poll_by_its_strategy(PollingStrategy strategy, double seconds)
    {
        var (schedule, row) = ReviewInProgress(strategy);

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, 18, estimate: 20), previous: null));

        var wait = (row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds;
        Assert.InRange(wait, seconds * (strategy == PollingStrategy.Backoff ? 0.9 : 1.0) - 0.01, (strategy == PollingStrategy.Backoff ? seconds * 1.1 : seconds + 0.1) + 0.01);
    }

    [Fact]
    public void A_prediction_from_progress_alone_waits_no_longer_than_the_backoff_while_its_early_side_is_within_it()
    {
        // Progress 45 two seconds in: 17.5 points a second, 55 to go, the end 3.14 s away give or take 0.3 s. Only the
        // late side lies past the backoff's next wait after one poll (3 s): the backoff's poll stands.
        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive);
        row.Schedule.PollAttempts = 1;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, 45), previous: null));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds, 3.0, 3.11);
    }

    [Fact]
    public void A_prediction_from_progress_alone_skips_a_backoff_poll_surely_too_early_but_never_two()
    {
        // Progress 12 two seconds in: the end 88 s away, give or take 0.3 s. The backoff's next poll (3 s) is surely
        // too early and is skipped; its poll after that (4.5 s) stands.
        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive);
        row.Schedule.PollAttempts = 1;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, 12), previous: null));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds, 4.5, 4.61);
    }

    [Fact]
    public void A_prediction_from_progress_alone_past_the_backoff_s_next_poll_waits_until_its_early_side()
    {
        // Progress 40 two seconds in: 15 points a second, 60 to go, the end 4 s away give or take 0.3 s. Its early side
        // (3.7 s) lies between the backoff's next poll (3 s) and the one after (4.5 s): the poll goes there.
        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive);
        row.Schedule.PollAttempts = 1;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, 40), previous: null));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds, 3.7, 3.81);
    }

    [Fact]
    public void A_prediction_from_progress_alone_takes_the_late_side_of_its_uncertainty()
    {
        // 20 s in, at 95 and moving fast: the end looks 0.5 s away, but noisy progress is good to about 3 s (15% of 20 s).
        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive, polledAt: 20);
        row.Schedule.PollAttempts = 4;

        Assert.True(schedule.TryPollReview(row, Submitted, At(20, 95), At(19, 85)));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(20)).TotalSeconds, 3.5, 3.61);
    }

    [Fact]
    public void Adaptive_falls_back_to_the_backoff_when_the_signals_say_nothing()
    {
        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive);
        row.Schedule.PollAttempts = 2;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, null), previous: null));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds, 4.5 * 0.9, 4.5 * 1.1);
    }

    // A review submitted at Submitted and polled polledAt seconds later; the rules need no database, the context is never
    // opened. The clock stands still, so the schedule's now is the poll's time however slowly the test runs.
    private static (Schedule Schedule, AvatarSubmission Row) ReviewInProgress(PollingStrategy strategy, double polledAt = 2)
    {
        var options = new PollingOptions { Strategy = strategy };
        var clock = new FakeTimeProvider();
        var schedule = new Schedule(AvatarDbContext.Open("Host=unused"), new DatabaseClock(clock), Options.Create(options), clock);
        schedule.Anchor(Submitted.AddSeconds(polledAt));
        var row = new AvatarSubmission { GroupId = "g", ProjectName = "p", Schedule = { Deadline = Submitted.AddMinutes(15) } };
        return (schedule, row);
    }
}
