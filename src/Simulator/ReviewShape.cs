namespace Avatar.Simulator;

/// <summary>
/// How one review unfolds, drawn when it is submitted: how long it really takes, what <c>estimated_time</c> says, and
/// how its progress advances. With the default settings every review takes <see cref="SimulatorSettings.ReviewDuration"/>,
/// says so exactly, and progresses linearly.
/// </summary>
public sealed class ReviewShape
{
    private const int Segments = 10;

    // Cumulative share of the progress reached at the end of each tenth of the review; null: linear.
    private readonly double[]? curve;

    private ReviewShape(TimeSpan duration, TimeSpan? estimate, double[]? curve)
    {
        Duration = duration;
        Estimate = estimate;
        this.curve = curve;
    }

    /// <summary>How long the review really takes.</summary>
    public TimeSpan Duration { get; }

    /// <summary>What <c>estimated_time</c> says, or null when the task shows none.</summary>
    public TimeSpan? Estimate { get; }

    public static ReviewShape Draw(SimulatorSettings settings, Random random)
    {
        var duration = settings.ReviewDuration;
        if (settings.ReviewDurationMedian is { } median)
        {
            var drawn = median.TotalSeconds * Math.Exp(settings.ReviewDurationSigma * Normal(random));
            duration = TimeSpan.FromSeconds(Math.Clamp(drawn, settings.ReviewDurationMin.TotalSeconds, settings.ReviewDurationMax.TotalSeconds));
        }

        TimeSpan? estimate = (settings.EstimatedTime, settings.EstimatedTimeConstant) switch
        {
            (false, _) => null,
            (true, { } constant) => constant,
            (true, null) => TimeSpan.FromSeconds(Math.Max(1, Math.Round(duration.TotalSeconds * Math.Exp(settings.EstimatedTimeError * Normal(random))))),
        };
        return new ReviewShape(duration, estimate, settings.NoisyProgress ? Curve(random) : null);
    }

    /// <summary>
    /// The progress shown <paramref name="elapsed"/> into the review: 10 at the start (as upstream's submit answers),
    /// the share of the work done after that, at most 99 while it runs; 100 is shown once it is over.
    /// </summary>
    public int ProgressAt(TimeSpan elapsed)
    {
        var x = Math.Clamp(elapsed / Duration, 0, 1);
        if (curve is not null)
        {
            var segment = Math.Min((int)(x * Segments), Segments - 1);
            var before = segment == 0 ? 0 : curve[segment - 1];
            x = before + ((curve[segment] - before) * ((x * Segments) - segment));
        }

        return Math.Min(10 + (int)(90 * x), 99);
    }

    // Uneven progress: each tenth of the time advances by a random share, and about one tenth in three not at all (a plateau).
    private static double[] Curve(Random random)
    {
        var weights = new double[Segments];
        for (var i = 0; i < Segments; i++)
        {
            weights[i] = random.NextDouble() < 0.3 ? 0 : -Math.Log(1 - random.NextDouble());
        }

        var total = weights.Sum();
        if (total <= 0)
        {
            return [.. Enumerable.Range(1, Segments).Select(i => (double)i / Segments)];
        }

        var cumulative = new double[Segments];
        var sum = 0.0;
        for (var i = 0; i < Segments; i++)
        {
            sum += weights[i];
            cumulative[i] = sum / total;
        }

        return cumulative;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
