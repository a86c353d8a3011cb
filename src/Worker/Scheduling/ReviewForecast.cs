namespace Avatar.Worker.Scheduling;

/// <summary>
/// A predicted end: <paramref name="End"/>, the moment to poll at (for a forecast from progress, the late side of its
/// uncertainty), <paramref name="Earliest"/>, the early side (the same moment for an estimate), and whether it came
/// from xcompute's <c>estimated_time</c> (else from the progress alone).
/// </summary>
public readonly record struct Forecast(DateTimeOffset Earliest, DateTimeOffset End, bool FromEstimate);

/// <summary>What one poll of a review in progress saw.</summary>
/// <param name="At">When (the database's clock).</param>
/// <param name="Progress">xcompute's <c>progress</c> (0-100; a review starts at 10), if it said.</param>
/// <param name="Estimate">xcompute's <c>estimated_time</c>: how long the whole review should take, if it said.</param>
public readonly record struct ReviewObservation(DateTimeOffset At, int? Progress, TimeSpan? Estimate);

/// <summary>
/// When a review in progress will probably finish, from what xcompute says. The whole rule:
/// <list type="number">
/// <item>xcompute's <c>estimated_time</c>, counted from when the review was submitted, while that moment is still ahead;
/// within a second after it (the estimate counts whole seconds), now: the review ends any moment.</item>
/// <item>Otherwise the progress: the points still to go (to 100) at the rate seen since the previous poll, or since
/// the submission when the previous poll saw no advance (a plateau). Progress alone is a weak signal (a plateau makes
/// the end look far, a burst near): the end is known to <see cref="ProgressUncertainty"/> of the review's age either
/// side, the poll goes at the late side, and the wait stays within the backoff's (<see cref="ProgressCeiling"/>).</item>
/// <item>Otherwise nothing: no progress, progress that went backwards, an estimate already overrun with no progress
/// to go on. The caller then falls back to its backoff.</item>
/// </list>
/// </summary>
public static class ReviewForecast
{
    /// <summary>How far the real end may lie past <c>estimated_time</c>, which counts whole seconds.</summary>
    public static readonly TimeSpan EstimatePrecision = TimeSpan.FromSeconds(1);

    /// <summary>Where progress starts: the submit's answer says 10.</summary>
    public const int StartProgress = 10;

    /// <summary>The predicted end of the review submitted at <paramref name="submittedAt"/>, or null when the signals say nothing usable.</summary>
    public static Forecast? End(DateTimeOffset submittedAt, ReviewObservation now, ReviewObservation? previous)
    {
        if (now.Estimate is { } estimate && estimate > TimeSpan.Zero)
        {
            var estimated = submittedAt + estimate;
            if (estimated > now.At)
            {
                return new Forecast(estimated, estimated, FromEstimate: true);
            }

            // estimated_time counts whole seconds: just past it, the review ends any moment.
            if (now.At - estimated < EstimatePrecision)
            {
                return new Forecast(now.At, now.At, FromEstimate: true);
            }
        }

        if (now.Progress is not { } progress || progress <= StartProgress || progress >= 100)
        {
            return null;
        }

        if (previous is { Progress: { } before } && before > progress)
        {
            return null; // going backwards: the signal contradicts itself
        }

        var rate = previous is { Progress: { } last } prior && last < progress && now.At > prior.At
            ? (progress - last) / (now.At - prior.At).TotalSeconds
            : (progress - StartProgress) / Math.Max((now.At - submittedAt).TotalSeconds, 0.001);
        var end = now.At + TimeSpan.FromSeconds((100 - progress) / rate);
        var margin = (now.At - submittedAt) * ProgressUncertainty;
        return new Forecast(end - margin, end + margin, FromEstimate: false);
    }

    /// <summary>
    /// How far noisy progress may put the end off, either side, as a share of the review's age. The poll goes at the
    /// late side, so that it rarely finds the review still running.
    /// </summary>
    public const double ProgressUncertainty = 0.15;

    /// <summary>
    /// The longest wait a forecast from progress alone may set: the backoff's next wait (<paramref name="backoff"/>),
    /// since a plateau can make the end look far; but when even the early side of the forecast lies beyond it, until
    /// that early side, at most the backoff's wait after next (<paramref name="backoffAfter"/>): the forecast may skip
    /// one of the backoff's polls when it is surely too early, never two. Skipping pays for the polls aimed at the end,
    /// so that progress alone costs no more requests than the backoff (the figures: docs/benchmarks.md, --compare-polling).
    /// </summary>
    public static TimeSpan ProgressCeiling(DateTimeOffset now, Forecast forecast, TimeSpan backoff, TimeSpan backoffAfter)
    {
        var early = forecast.Earliest - now;
        return early <= backoff ? backoff : early < backoffAfter ? early : backoffAfter;
    }

    /// <summary>How long to wait before the next poll: until the predicted end, never less than <paramref name="floor"/> nor more than <paramref name="ceiling"/>.</summary>
    public static TimeSpan Wait(DateTimeOffset now, DateTimeOffset end, TimeSpan floor, TimeSpan ceiling)
    {
        var wait = end - now;
        return wait < floor ? floor : wait > ceiling ? ceiling : wait;
    }
}
