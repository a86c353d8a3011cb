using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --compare-polling</c>: one workload of realistic reviews (log-normal durations, median 20 s, 5-120 s)
/// under each kind of <c>estimated_time</c> the simulator plays and each polling strategy in turn, one worker each,
/// and one line per pair: xcompute GETs per review, and how late the outcome event reached a subscriber after the
/// simulator really finished the review. Fixed intervals of 3 s and 6 s are the references: a strategy is worth having
/// where it lies on or below the line joining them (no fixed interval both cheaper and less late).
/// </summary>
internal static class PollingComparison
{
    private static readonly (string Name, string Strategy, string Interval)[] Strategies =
        [("fixed-3s", "Fixed", "00:00:03"), ("fixed-6s", "Fixed", "00:00:06"), ("backoff", "Backoff", "00:00:03"), ("adaptive", "Adaptive", "00:00:03")];

    /// <summary>The kinds of <c>estimated_time</c>: exact, off by e^N(0, 0.25) or e^N(0, 0.5), 30 s for every task, none.</summary>
    private static readonly (string Name, string[] Simulator)[] Estimates =
    [
        ("exact", ["--Simulator:EstimatedTime=true", "--Simulator:EstimatedTimeError=0"]),
        ("error-0.25", ["--Simulator:EstimatedTime=true", "--Simulator:EstimatedTimeError=0.25"]),
        ("error-0.5", ["--Simulator:EstimatedTime=true", "--Simulator:EstimatedTimeError=0.5"]),
        ("constant-30s", ["--Simulator:EstimatedTime=true", "--Simulator:EstimatedTimeConstant=00:00:30"]),
        ("none", ["--Simulator:EstimatedTime=false"]),
    ];

    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var reviews = settings.GetValue("submissions", 300);
        var noisy = settings.GetValue("noisy-progress", true);
        var max = TimeSpan.FromSeconds(120);
        string[] workload =
        [
            "--Simulator:ReviewDurationMedian=00:00:20",
            "--Simulator:ReviewDurationSigma=0.6",
            "--Simulator:ReviewDurationMin=00:00:05",
            $"--Simulator:ReviewDurationMax={max}",
            $"--Simulator:NoisyProgress={noisy}",
        ];
        var strategies = settings["strategies"]?.Split(',') ?? [.. Strategies.Select(s => s.Name)];
        var estimates = settings["estimates"]?.Split(',') ?? [.. Estimates.Select(e => e.Name)];
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"polling comparison: {reviews} reviews per run, log-normal durations (median 20 s, sigma 0.6, 5-120 s), {(noisy ? "noisy" : "even")} progress, " +
            $"estimates {string.Join(", ", estimates)}, strategies {string.Join(", ", strategies)}, one worker per run, no request budget"));

        var lines = new List<string>();
        var passed = true;
        foreach (var (estimate, simulator) in Estimates.Where(e => estimates.Contains(e.Name)))
        {
            foreach (var (name, strategy, interval) in Strategies.Where(s => strategies.Contains(s.Name)))
            {
                var options = new BenchmarkOptions(reviews, Workers: 1, ReviewDuration: max, LatencyMs: 20, ConcurrentMessageLimit: 8)
                {
                    SimulatorArguments = [.. workload, .. simulator],
                    WorkerSettings = new Dictionary<string, string>
                    {
                        ["Avatar:Polling:Strategy"] = strategy,
                        ["Avatar:Polling:FixedInterval"] = interval,

                        // The strategies are compared, not the request budget: fixed polling of a few hundred reviews needs more.
                        ["XCompute:MaxRequestsPerSecond"] = "0",
                    },
                };
                await using var run = await BenchmarkRun.StartAsync(options);
                var result = await run.ExecuteAsync();
                passed &= result.Passed && result.Lateness.Count == result.Finished;
                static string S(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"polling {estimate} {name}: gets/review {(result.PollsPerReview.Count == 0 ? 0 : result.PollsPerReview.Average()):0.0}, " +
                    $"lateness p50 {S(BenchmarkResult.Percentile(result.Lateness, 0.5))} s, p95 {S(BenchmarkResult.Percentile(result.Lateness, 0.95))} s, " +
                    $"p99 {S(BenchmarkResult.Percentile(result.Lateness, 0.99))} s");
                lines.Add(line);
                output.WriteLine($"  {estimate} {name}: {result.Finished}/{result.Submitted} finished, {result.Lateness.Count} timed");
            }
        }

        // Every line together at the end, side by side.
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }

        return passed ? 0 : 1;
    }
}
