using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --compare-polling</c>: one workload of realistic reviews (log-normal durations, median 20 s, 5-120 s)
/// under each polling strategy in turn, one worker each, and one line per strategy: xcompute GETs per review, and how
/// late the outcome event reached a subscriber after the simulator really finished the review.
/// </summary>
internal static class PollingComparison
{
    private static readonly (string Name, string Strategy)[] Strategies = [("fixed-3s", "Fixed"), ("backoff", "Backoff"), ("adaptive", "Adaptive")];

    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var reviews = settings.GetValue("submissions", 300);
        var noisy = settings.GetValue("noisy-progress", true);
        var estimate = settings.GetValue("estimated-time", true);
        var error = settings.GetValue("estimate-error", 0.0);
        var max = TimeSpan.FromSeconds(120);
        string[] simulator =
        [
            "--Simulator:ReviewDurationMedian=00:00:20",
            "--Simulator:ReviewDurationSigma=0.6",
            "--Simulator:ReviewDurationMin=00:00:05",
            $"--Simulator:ReviewDurationMax={max}",
            $"--Simulator:NoisyProgress={noisy}",
            $"--Simulator:EstimatedTime={estimate}",
            string.Create(CultureInfo.InvariantCulture, $"--Simulator:EstimatedTimeError={error}"),
        ];
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"polling comparison: {reviews} reviews, log-normal durations (median 20 s, sigma 0.6, 5-120 s), {(noisy ? "noisy" : "even")} progress, " +
            $"{(estimate ? $"estimated_time off by e^N(0, {error})" : "no estimated_time")}, one worker per strategy, no request budget"));

        var only = settings["strategies"]?.Split(',') ?? [.. Strategies.Select(s => s.Name)];
        var lines = new List<string>();
        var passed = true;
        foreach (var (name, strategy) in Strategies.Where(s => only.Contains(s.Name)))
        {
            var options = new BenchmarkOptions(reviews, Workers: 1, ReviewDuration: max, LatencyMs: 20, ConcurrentMessageLimit: 8)
            {
                SimulatorArguments = simulator,
                WorkerSettings = new Dictionary<string, string>
                {
                    ["Avatar:Polling:Strategy"] = strategy,
                    ["Avatar:Polling:FixedInterval"] = "00:00:03",

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
                $"polling {name}: gets/review {(result.PollsPerReview.Count == 0 ? 0 : result.PollsPerReview.Average()):0.0}, " +
                $"lateness p50 {S(BenchmarkResult.Percentile(result.Lateness, 0.5))} s, p95 {S(BenchmarkResult.Percentile(result.Lateness, 0.95))} s, " +
                $"p99 {S(BenchmarkResult.Percentile(result.Lateness, 0.99))} s");
            lines.Add(line);
            output.WriteLine($"  {name}: {result.Finished}/{result.Submitted} finished, {result.Lateness.Count} timed");
        }

        // The three lines together at the end, side by side.
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }

        return passed ? 0 : 1;
    }
}
