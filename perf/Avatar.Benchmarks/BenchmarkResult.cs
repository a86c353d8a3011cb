using System.Globalization;

namespace Avatar.Benchmarks;

public sealed record BenchmarkResult(
    int Submitted,
    int Finished,
    int Approved,
    int PartlyRejected,
    TimeSpan Wall,
    IReadOnlyList<TimeSpan> TimesToOutcome,
    IReadOnlyList<int> PollsPerReview,
    int MaxConcurrentPolls,
    int XComputeRequests,
    IReadOnlyList<long> WorkerPeakResidentBytes)
{
    public double DatabaseCommands { get; init; }

    /// <summary>Per review, from its real end at the simulator to its outcome event at the subscriber; in order.</summary>
    public IReadOnlyList<TimeSpan> Lateness { get; init; } = [];

    public double BrokerMessagesSent { get; init; }

    /// <summary>The worker processes' processor time from when they had started to the last outcome, together.</summary>
    public TimeSpan WorkerProcessorTime { get; init; }

    /// <summary>Processor milliseconds the workers spent per finished review.</summary>
    public double ProcessorMillisecondsPerReview => WorkerProcessorTime.TotalMilliseconds / Math.Max(Finished, 1);

    /// <summary>PostgreSQL's processor time over the same span, when it runs on this machine.</summary>
    public TimeSpan? DatabaseProcessorTime { get; init; }

    public double BrokerMessagesReceived { get; init; }

    /// <summary>Time the workers' JIT compiler spent compiling methods during the batch (their runtime meter).</summary>
    public TimeSpan CompilingTime { get; init; }

    /// <summary>Every review ended, and none was ever polled by two workers at once.</summary>
    public bool Passed => Finished == Submitted && MaxConcurrentPolls <= 1;

    /// <summary>Finished reviews per second of wall time, from the first command to the last outcome.</summary>
    public double Throughput => Finished / Wall.TotalSeconds;

    public TimeSpan Percentile(double p) => Percentile(TimesToOutcome, p);

    /// <summary>The <paramref name="p"/> quantile of <paramref name="ordered"/> (nearest rank).</summary>
    public static TimeSpan Percentile(IReadOnlyList<TimeSpan> ordered, double p) =>
        ordered.Count == 0 ? TimeSpan.Zero : ordered[Math.Max((int)Math.Ceiling(p * ordered.Count) - 1, 0)];

    public void Print(TextWriter output, BenchmarkOptions options)
    {
        static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

        output.WriteLine($"avatar benchmark: {options.Submissions} submissions of 2 assets, {options.Workers} worker process(es), " +
            $"{options.ReviewDuration.TotalSeconds:0.#} s reviews, {options.LatencyMs} ms xcompute latency, {options.ConcurrentMessageLimit} messages at once per queue per worker");
        output.WriteLine($"  finished                 {Finished}/{Submitted} ({Approved} approved, {PartlyRejected} partly rejected)");
        output.WriteLine($"  wall time                {Seconds(Wall)}");
        output.WriteLine($"  throughput               {Throughput.ToString("0.0", CultureInfo.InvariantCulture)} reviews/s");
        output.WriteLine($"  time to outcome          p50 {Seconds(Percentile(0.50))}, p95 {Seconds(Percentile(0.95))}, max {Seconds(Percentile(1.0))}");
        if (PollsPerReview.Count > 0)
        {
            output.WriteLine($"  polls per review         mean {PollsPerReview.Average().ToString("0.0", CultureInfo.InvariantCulture)}, max {PollsPerReview.Max()}");
        }

        output.WriteLine($"  most concurrent polls    {MaxConcurrentPolls} (of one review)");
        output.WriteLine($"  xcompute requests        {XComputeRequests}");
        if (Finished > 0)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  per review               {DatabaseCommands / Finished:0.0} database commands, {BrokerMessagesSent / Finished:0.0} messages sent or published, {BrokerMessagesReceived / Finished:0.0} received (workers' meters)"));
        }

        var database = DatabaseProcessorTime is { } time
            ? string.Create(CultureInfo.InvariantCulture, $", {time.TotalMilliseconds / Math.Max(Finished, 1):0.00} ms/review (PostgreSQL)")
            : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cpu                      {ProcessorMillisecondsPerReview:0.00} ms/review (worker processes){database}"));
        output.WriteLine($"  worker peak RSS          {string.Join(", ", WorkerPeakResidentBytes.Select(b => $"{Sizes.Mebibytes(b):0} MiB"))}");
        output.WriteLine(Passed ? "  result                   PASS" : "  result                   FAIL (unfinished reviews or overlapping polls)");
    }
}
