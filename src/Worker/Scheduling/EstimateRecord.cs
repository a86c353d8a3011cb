namespace Avatar.Worker.Scheduling;

/// <summary>
/// How far off xcompute's <c>estimated_time</c> has been on the last reviews this instance saw end: the track record
/// adaptive polling weighs an estimate by (<see cref="ReviewForecast"/>). One per instance (a singleton), learned from
/// its own polls; a restarted instance starts with no record and doubts every estimate until it has one again.
/// </summary>
/// <remarks>
/// Each review that ends adds one error, the logarithm of how much longer (positive) or shorter (negative) it ran than
/// its estimate, as far as the polls can tell: it ended between the last poll that saw it running and the one that
/// saw it ended, so an estimate inside that interval (give or take <see cref="ReviewForecast.EstimatePrecision"/>) is
/// counted right (0); otherwise the interval's middle is compared with it. Logarithms, because estimates are off by a
/// factor more than by a number of seconds. Kept in memory rather than stored: it is an instance's recent
/// experience, cheap to learn again, and every instance learns the same from the same xcompute.
/// </remarks>
public sealed class EstimateRecord
{
    /// <summary>How many errors are kept: the recent ones, so that the record follows xcompute when it changes.</summary>
    public const int Capacity = 64;

    /// <summary>How many ended reviews it takes before the record speaks: with fewer, every estimate is doubted.</summary>
    public const int Proven = 8;

    /// <summary>Which errors bound the band: the 2nd and 98th percentiles (with 64 errors, the second smallest and the second largest).</summary>
    private const double Tail = 0.02;

    private readonly double[] errors = new double[Capacity];
    private readonly Lock gate = new();
    private int count;
    private int next;

    /// <summary>
    /// Learns from a review that ended: its <paramref name="estimate"/>, and its age at the last poll that saw it running
    /// (<paramref name="lastSeenRunning"/>, zero when none did) and at the poll that saw it ended (<paramref name="seenEnded"/>).
    /// </summary>
    public void Learn(TimeSpan estimate, TimeSpan lastSeenRunning, TimeSpan seenEnded)
    {
        if (estimate <= TimeSpan.Zero || seenEnded <= lastSeenRunning)
        {
            return;
        }

        var error = lastSeenRunning < estimate + ReviewForecast.EstimatePrecision && estimate - ReviewForecast.EstimatePrecision <= seenEnded
            ? 0
            : Math.Log((lastSeenRunning + seenEnded) / 2 / estimate);
        lock (gate)
        {
            errors[next] = error;
            next = (next + 1) % Capacity;
            count = Math.Min(count + 1, Capacity);
        }
    }

    /// <summary>
    /// How far the recent estimates were off, as factors (the real duration over the estimate) bounding all but the
    /// extreme 2 % either side; null until <see cref="Proven"/> reviews have ended.
    /// </summary>
    public EstimateSpread? Spread()
    {
        double[] sorted;
        lock (gate)
        {
            if (count < Proven)
            {
                return null;
            }

            sorted = errors[..count];
        }

        Array.Sort(sorted);
        var low = sorted[(int)Math.Floor(Tail * (sorted.Length - 1))];
        var high = sorted[(int)Math.Ceiling((1 - Tail) * (sorted.Length - 1))];
        return new EstimateSpread(Math.Exp(low), Math.Exp(high));
    }
}

/// <summary>
/// The factors by which the real duration of a review lay off its <c>estimated_time</c> on the recent reviews: from
/// <paramref name="Low"/> (below 1: reviews ended before their estimate) to <paramref name="High"/> (above 1: after it).
/// </summary>
public readonly record struct EstimateSpread(double Low, double High)
{
    /// <summary>An estimate that has been right to the second so far.</summary>
    public static readonly EstimateSpread Exact = new(1, 1);
}
