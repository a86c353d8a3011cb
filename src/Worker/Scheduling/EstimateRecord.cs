namespace Avatar.Worker.Scheduling;

/// <summary>
/// How far off xcompute's <c>estimated_time</c> has been on the last reviews this instance saw end: the track record
/// adaptive polling weighs an estimate by (<see cref="ReviewForecast"/>). One per instance (a singleton); a restarted
/// instance starts with no record and doubts every estimate until it has one again.
/// </summary>
/// <remarks>
/// Each review that ends adds one error: the logarithm of how much longer (positive) or shorter (negative) it ran than
/// its estimate, by xcompute's own account of how long it ran (<c>actual_time</c>, else <c>completed</c> minus
/// <c>created</c>); within <see cref="Precision"/> it counts as right (0). Logarithms, because estimates are off by a
/// factor more than by a number of seconds. Not from the worker's polls: a poll finds a review ended somewhere since the
/// poll before, and where the estimate's band had the worker skip polls, that interval is wide enough to hide the very
/// misses the record must see (an estimate trusted too far would keep looking right). A review without that account
/// teaches nothing; with no account at all, the record stays empty and every estimate stays doubted. Kept in memory
/// rather than stored: an instance's recent experience, cheap to learn again, and every instance learns the same from
/// the same xcompute.
/// </remarks>
public sealed class EstimateRecord
{
    /// <summary>How many errors are kept: the recent ones, so that the record follows xcompute when it changes.</summary>
    public const int Capacity = 64;

    /// <summary>How many ended reviews it takes before the record speaks: with fewer, every estimate is doubted.</summary>
    public const int Proven = 8;

    /// <summary>How far a duration may lie from its estimate and still count as right: both count whole seconds.</summary>
    public static readonly TimeSpan Precision = TimeSpan.FromSeconds(1);

    /// <summary>Which errors bound the band: the 2nd and 98th percentiles (with 64 errors, the second smallest and the second largest).</summary>
    private const double Tail = 0.02;

    private readonly double[] errors = new double[Capacity];
    private readonly Lock gate = new();
    private int count;
    private int next;

    /// <summary>Learns from a review that ended: its <paramref name="estimate"/>, and how long it really ran (<paramref name="actual"/>).</summary>
    public void Learn(TimeSpan estimate, TimeSpan actual)
    {
        if (estimate <= TimeSpan.Zero || actual <= TimeSpan.Zero)
        {
            return;
        }

        var error = (actual - estimate).Duration() <= Precision ? 0 : Math.Log(actual / estimate);
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
    /// <summary>
    /// The most the factors may differ, top over bottom, for the record to be tight: then a poll waits for the band of
    /// an estimate however far off (<see cref="ReviewForecast"/>). A looser record still shapes the band.
    /// </summary>
    public const double TightRatio = 1.25;

    /// <summary>Whether recent estimates were off by nearly the same factor (<see cref="TightRatio"/>): right, or consistently early or late.</summary>
    public bool IsTight => High <= Low * TightRatio;

    /// <summary>An estimate that has been right to the second so far.</summary>
    public static readonly EstimateSpread Exact = new(1, 1);
}
