using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Avatar.Worker.Tests;

/// <summary>
/// The rule of adaptive polling (<see cref="ReviewForecast"/>), its estimates' track record (<see cref="EstimateRecord"/>),
/// and how the schedule applies them. Waits are in seconds from the poll; the backoff's next wait is 4.5 s (after two
/// polls) unless a test says otherwise, so the cadence (4 s) is the step.
/// </summary>
public sealed class ReviewForecastTests
{
    private static readonly DateTimeOffset Submitted = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(30);

    private static ReviewObservation At(double seconds, int? progress, double? estimate = null) =>
        new(Submitted.AddSeconds(seconds), progress, estimate is { } e ? TimeSpan.FromSeconds(e) : null);

    private static double Wait(ReviewObservation now, ReviewObservation? previous, EstimateSpread? spread, double backoff = 4.5) =>
        ReviewForecast.Wait(Submitted, now, previous, spread, TimeSpan.FromSeconds(backoff), Floor, Ceiling).TotalSeconds;

    // A record of reviews that each ran `factor` times their 20 s estimate.
    private static EstimateSpread Record(params double[] factors)
    {
        var record = new EstimateRecord();
        foreach (var factor in factors)
        {
            record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20 * factor));
        }

        return record.Spread()!.Value;
    }

    private static double[] Times(int count, double factor) => [.. Enumerable.Repeat(factor, count)];

    [Fact]
    public void With_no_signal_polls_are_a_cadence_apart_or_the_backoff_s_wait_when_shorter()
    {
        Assert.Equal(4, Wait(At(6, null), At(2, null), spread: null));
        Assert.Equal(2, Wait(At(0, 10), previous: null, spread: null, backoff: 2)); // the submit's answer: no estimate yet
    }

    [Fact]
    public void A_long_review_s_cadence_grows_with_its_age()
    {
        Assert.Equal(10, Wait(At(200, null), At(190, null), spread: null, backoff: 30), precision: 6);
    }

    [Fact]
    public void An_estimate_with_a_record_of_being_right_is_waited_for()
    {
        // Right so far: the band is the estimate to the second, [19.5 s, 20.5 s]; the poll goes half its width into it.
        var spread = Record(Times(8, 1.0));
        Assert.Equal(EstimateSpread.Exact, spread);

        Assert.Equal(18, Wait(At(2, 18, estimate: 20), At(0, 10), spread), precision: 6);

        // Still running at 20 s: the band's second half.
        Assert.Equal(0.5, Wait(At(20, 95, estimate: 20), At(2, 18), spread), precision: 6);
    }

    [Fact]
    public void An_estimate_without_a_record_moves_a_poll_by_a_cadence_and_a_half_at_most()
    {
        // A fresh instance: 20 s may be right or far off; the poll goes 6 s out, not 18 s.
        Assert.Equal(6, Wait(At(2, null, estimate: 20), previous: null, spread: null), precision: 6);

        // Close to the estimate, it is taken at its word.
        Assert.Equal(3, Wait(At(17, 80, estimate: 20), At(11, 60), spread: null), precision: 6);
    }

    [Fact]
    public void A_record_of_late_estimates_moves_the_band_after_the_estimate()
    {
        // Reviews ran 1.4 to 1.6 times their estimates: a 20 s estimate puts the end in [27.5 s, 32.5 s]; the first poll
        // goes 2.5 s into it (half its width), 28 s after this one, well past the estimate.
        var spread = Record([.. Times(4, 1.4), .. Times(4, 1.6)]);

        Assert.Equal(28, Wait(At(2, 14, estimate: 20), At(0, 10), spread), precision: 6);
    }

    [Fact]
    public void A_record_of_early_estimates_moves_the_band_before_the_estimate()
    {
        // Reviews ended at half their estimates: a 20 s estimate puts the end at 10 s, to the second.
        var spread = Record(Times(8, 0.5));

        Assert.Equal(8, Wait(At(2, 30, estimate: 20), At(0, 10), spread), precision: 6);
    }

    [Fact]
    public void A_constant_estimate_earns_a_band_so_wide_that_polls_stay_a_cadence_apart()
    {
        // 30 s for every review, which really took 10 s to 60 s: the band runs from 9.5 s to 60.5 s, so the estimate
        // no longer holds a poll back; inside it polls are a cadence apart.
        var record = new EstimateRecord();
        foreach (var seconds in new[] { 10.0, 15, 20, 25, 30, 40, 50, 60 })
        {
            record.Learn(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(seconds));
        }

        var spread = record.Spread()!.Value;
        Assert.Equal(1.0 / 3, spread.Low, precision: 6);
        Assert.Equal(2, spread.High, precision: 6);

        Assert.Equal(4, Wait(At(12, 70, estimate: 30), At(8, 50), spread), precision: 6);

        // A record this loose cannot hold a poll back long: before the band, a cadence and a half at most.
        Assert.False(spread.IsTight);
        Assert.Equal(6, Wait(At(2, null, estimate: 30), previous: null, spread), precision: 6);
    }

    [Fact]
    public void An_estimate_right_for_most_reviews_and_wrong_for_some_is_trusted_as_far_as_its_worst_recent_miss()
    {
        // 60 reviews to the second, 4 that took twice their estimate: the 98th percentile is a miss, so the band runs to
        // 40.5 s, polls in it are a cadence apart, and the loose record holds no poll back long; once the 4 misses are
        // older than the last 64, the record is tight again.
        var record = new EstimateRecord();
        void Learn(int count, double factor)
        {
            for (var i = 0; i < count; i++)
            {
                record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20 * factor));
            }
        }

        Learn(60, 1.0);
        Learn(4, 2.0);
        Assert.Equal(1, record.Spread()!.Value.Low, precision: 6);
        Assert.Equal(2, record.Spread()!.Value.High, precision: 6);
        Assert.False(record.Spread()!.Value.IsTight);
        Assert.Equal(6, Wait(At(2, null, estimate: 20), previous: null, record.Spread()), precision: 6); // not 17.5 s: loose
        Assert.Equal(4, Wait(At(21, 90, estimate: 20), At(17, 70), record.Spread()), precision: 6);

        Learn(64, 1.0);
        Assert.Equal(EstimateSpread.Exact, record.Spread());
    }

    [Fact]
    public void An_estimate_this_review_has_outlived_is_ignored()
    {
        // Right so far, but this review runs on at 25 s with a 20 s estimate: the cadence, not the band's half second.
        Assert.Equal(4, Wait(At(25, 98, estimate: 20), At(21, 90), EstimateSpread.Exact), precision: 6);
    }

    [Fact]
    public void Just_past_its_band_a_review_is_still_polled_at_the_band_s_pace()
    {
        // The worker's time for a review and xcompute's may differ a little: within a second past the band, the half
        // second step goes on.
        Assert.Equal(0.5, Wait(At(20.8, 95, estimate: 20), At(20.3, 95), EstimateSpread.Exact), precision: 6);
    }

    [Fact]
    public void Progress_that_puts_the_end_far_off_skips_polls_up_to_two_cadences()
    {
        // 10 -> 14 in 4 s: 1 point a second, 86 to go; give or take half the age, the end is surely not before 88 s.
        Assert.Equal(8, Wait(At(4, 14), At(0, 10), spread: null), precision: 6);

        // 10 -> 40 in 4 s: 7.5 points a second, the end about 8 s away, its early side 6 s away: wait for it.
        Assert.Equal(6, Wait(At(4, 40), At(0, 10), spread: null), precision: 6);
    }

    [Fact]
    public void Progress_never_moves_a_poll_past_the_estimate_s_band()
    {
        // Slow progress says the end is far, but the (proven) estimate says 10 s: the poll stays in the band, [9.5 s, 10.5 s].
        Assert.Equal(6.5, Wait(At(4, 12, estimate: 10), At(0, 10), EstimateSpread.Exact), precision: 6);
    }

    [Fact]
    public void The_worked_examples_of_the_architecture_document_hold()
    {
        // docs/architecture.md, "Polling a review": a 14 s review with a constant 30 s estimate.
        static double From(double at, double wait) => at + wait;
        var record = new EstimateSpread(0.3, 2.1);
        var first = From(2, Wait(At(2, 20, estimate: 30), At(0, 10), record));
        Assert.Equal(10, first, precision: 6);
        Assert.Equal(14, From(first, Wait(At(first, 70, estimate: 30), At(2, 20), record)), precision: 6);

        // The same on a fresh instance.
        var fresh = From(2, Wait(At(2, 20, estimate: 30), At(0, 10), spread: null));
        Assert.Equal(10, fresh, precision: 6);
        Assert.Equal(16, From(fresh, Wait(At(fresh, 70, estimate: 30), At(2, 20), spread: null)), precision: 6);

        // Right so far, estimated_time 14.
        Assert.Equal(14, From(2, Wait(At(2, 20, estimate: 14), At(0, 10), EstimateSpread.Exact)), precision: 6);
    }

    [Fact]
    public void The_progress_forecast_runs_at_the_rate_since_the_last_poll()
    {
        // 10 -> 30 in the first 5 s, 30 -> 50 in the next 5 s: 4 points a second, 50 to go, at 22.5 s; give or take
        // half of the 10 s so far.
        var forecast = ReviewForecast.FromProgress(Submitted, At(10, 50), At(5, 30));

        Assert.Equal(new Forecast(Submitted.AddSeconds(17.5), Submitted.AddSeconds(22.5), Submitted.AddSeconds(27.5)), forecast);
    }

    [Fact]
    public void On_a_plateau_the_progress_forecast_runs_at_the_rate_since_the_submission()
    {
        // No advance since the last poll: 10 -> 50 over 10 s overall is 4 points a second, 50 to go.
        Assert.Equal(Submitted.AddSeconds(22.5), ReviewForecast.FromProgress(Submitted, At(10, 50), At(6, 50))!.Value.Expected);
    }

    [Theory]
    [InlineData(8.0, 10, 4.0, 10)] // stalled at the start
    [InlineData(10.0, 40, 5.0, 60)] // going backwards
    [InlineData(4.0, null, null, null)] // none
    public void Progress_that_says_nothing_gives_no_forecast(double seconds, int? progress, double? before, int? progressBefore)
    {
        ReviewObservation? previous = before is { } b ? At(b, progressBefore) : null;

        Assert.Null(ReviewForecast.FromProgress(Submitted, At(seconds, progress), previous));
    }

    [Fact]
    public void The_record_says_nothing_before_it_has_seen_enough_reviews_end()
    {
        var record = new EstimateRecord();
        for (var i = 0; i < EstimateRecord.Proven - 1; i++)
        {
            record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));
        }

        Assert.Null(record.Spread());
        record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));
        Assert.NotNull(record.Spread());
    }

    [Fact]
    public void The_record_counts_a_review_within_a_second_of_its_estimate_as_right_and_keeps_the_last_64()
    {
        var record = new EstimateRecord();
        for (var i = 0; i < EstimateRecord.Proven; i++)
        {
            record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(i % 2 == 0 ? 21 : 19)); // both count whole seconds
        }

        Assert.Equal(EstimateSpread.Exact, record.Spread());

        for (var i = 0; i < EstimateRecord.Capacity; i++)
        {
            record.Learn(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
        }

        Assert.Equal(1.5, record.Spread()!.Value.Low, precision: 6);
    }

    [Fact]
    public void The_expected_end_a_status_tells_is_the_estimate_until_outlived_then_the_progress()
    {
        Assert.Equal(Submitted.AddSeconds(20), ReviewForecast.ExpectedEnd(Submitted, At(10, 50, estimate: 20)));
        Assert.Equal(Submitted.AddSeconds(45), ReviewForecast.ExpectedEnd(Submitted, At(30, 70, estimate: 20)));
        Assert.Null(ReviewForecast.ExpectedEnd(Submitted, At(30, null)));
    }

    [Theory]
    [InlineData(PollingStrategy.Adaptive, 6.0)]
    [InlineData(PollingStrategy.Fixed, 3.0)]
    [InlineData(PollingStrategy.Backoff, 3.0)]
    public void The_schedule_times_a_review_s_next_poll_by_its_strategy(PollingStrategy strategy, double seconds)
    {
        var (schedule, row) = ReviewInProgress(strategy);
        row.Schedule.PollAttempts = 1;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, null, estimate: 20), previous: null));

        // Adaptive, on a fresh instance: the 20 s estimate holds the poll back a cadence and a half. Backoff: 3 s ± 10 %.
        var wait = (row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds;
        Assert.InRange(wait, seconds * (strategy == PollingStrategy.Backoff ? 0.9 : 1.0) - 0.01, (strategy == PollingStrategy.Backoff ? seconds * 1.1 : seconds + 0.1) + 0.01);
    }

    [Fact]
    public void The_schedule_learns_from_a_review_that_ended_and_then_trusts_the_estimate()
    {
        var record = new EstimateRecord();
        for (var i = 0; i < EstimateRecord.Proven; i++)
        {
            var (ended, _) = ReviewInProgress(PollingStrategy.Adaptive, polledAt: 20.2, record);
            ended.ReviewEnded(estimate: TimeSpan.FromSeconds(20), actual: TimeSpan.FromSeconds(20));
        }

        var (schedule, row) = ReviewInProgress(PollingStrategy.Adaptive, polledAt: 2, record);
        row.Schedule.PollAttempts = 1;

        Assert.True(schedule.TryPollReview(row, Submitted, At(2, 18, estimate: 20), previous: null));

        Assert.InRange((row.Schedule.NextPollAt!.Value - Submitted.AddSeconds(2)).TotalSeconds, 18.0, 18.11);
    }

    // A review submitted at Submitted and polled polledAt seconds later; the rules need no database, the context is never
    // opened. The clock stands still, so the schedule's now is the poll's time however slowly the test runs.
    private static (Schedule Schedule, AvatarSubmission Row) ReviewInProgress(PollingStrategy strategy, double polledAt = 2, EstimateRecord? record = null)
    {
        var options = new PollingOptions { Strategy = strategy };
        var clock = new FakeTimeProvider();
        var schedule = new Schedule(AvatarDbContext.Open("Host=unused"), new DatabaseClock(clock), Options.Create(options), clock, estimates: record);
        schedule.Anchor(Submitted.AddSeconds(polledAt));
        var row = new AvatarSubmission { GroupId = "g", ProjectName = "p", Schedule = { Deadline = Submitted.AddMinutes(15) } };
        return (schedule, row);
    }
}
