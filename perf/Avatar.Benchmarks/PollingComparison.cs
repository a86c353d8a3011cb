using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --compare-polling</c>: one workload of realistic reviews (log-normal durations, median 20 s, 5-90 s)
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

    /// <summary>
    /// Whether adaptive polling met its goal under one estimate kind: on or below the line through fixed-3s and fixed-6s
    /// (gets/review against lateness p95: no fixed interval both cheaper and less late), and with an exact estimate at
    /// most half of fixed-3s's GETs and p95 at most 1 s (a missed goal fails the run). Null when the run lacks one of the three.
    /// </summary>
    private static (string Line, bool Met)? Goal(string estimate, Dictionary<string, (double Gets, double P95)> figures)
    {
        if (!figures.TryGetValue("adaptive", out var adaptive) || !figures.TryGetValue("fixed-3s", out var f3) || !figures.TryGetValue("fixed-6s", out var f6))
        {
            return null;
        }

        var line = f3.P95 + ((f6.P95 - f3.P95) / (f6.Gets - f3.Gets) * (adaptive.Gets - f3.Gets));
        var met = adaptive.P95 <= line;
        var exact = "";
        if (estimate == "exact")
        {
            var share = adaptive.Gets / f3.Gets;
            met &= share <= 0.5 && adaptive.P95 <= 1.0;
            exact = string.Create(CultureInfo.InvariantCulture, $"; {share:0%} of fixed-3s's GETs (at most 50 %), p95 at most 1 s");
        }

        return (string.Create(
            CultureInfo.InvariantCulture,
            $"goal {estimate}: adaptive p95 {adaptive.P95:0.0} s at {adaptive.Gets:0.0} gets/review, the fixed line {line:0.0} s there{exact}: {(met ? "met" : "MISSED")}"), met);
    }

    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var reviews = settings.GetValue("submissions", 200);
        var noisy = settings.GetValue("noisy-progress", true);
        var max = TimeSpan.FromSeconds(90);
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
            $"polling comparison: {reviews} reviews per run arriving over 20 s, log-normal durations (median 20 s, sigma 0.6, 5-{max.TotalSeconds:0} s), {(noisy ? "noisy" : "even")} progress, " +
            $"estimates {string.Join(", ", estimates)}, strategies {string.Join(", ", strategies)} (those of one estimate side by side, one worker each), no request budget"));

        var lines = new List<string>();
        var passed = true;
        foreach (var (estimate, simulator) in Estimates.Where(e => estimates.Contains(e.Name)))
        {
            // The strategies of one estimate kind side by side, each with its own simulator, worker, database and
            // virtual host: a run lasts as long as its longest review (up to 2 minutes) whatever its size, so one at a
            // time would take 20 of them.
            var runs = Strategies.Where(s => strategies.Contains(s.Name)).Select(async s =>
            {
                var options = new BenchmarkOptions(reviews, Workers: 1, ReviewDuration: max, LatencyMs: 20, ConcurrentMessageLimit: 8)
                {
                    Name = $"polling-{s.Name}",

                    // Reviews arrive over 20 s, as they would from callers, rather than all at once: four runs side by
                    // side taking 800 submissions in the same instant saturate the two cores for seconds, and every
                    // strategy's polls then run late by that (docs/benchmarks.md).
                    PublishInterval = TimeSpan.FromSeconds(20) / reviews,
                    SimulatorArguments = [.. workload, .. simulator],
                    WorkerSettings = new Dictionary<string, string>
                    {
                        ["Avatar:Polling:Strategy"] = s.Strategy,
                        ["Avatar:Polling:FixedInterval"] = s.Interval,

                        // The strategies are compared, not the request budget: fixed polling of a few hundred reviews needs more.
                        ["XCompute:MaxRequestsPerSecond"] = "0",
                    },
                };
                await using var run = await BenchmarkRun.StartAsync(options);
                await run.WarmUpAsync(20, TimeSpan.FromSeconds(10));
                return (s.Name, Result: await run.ExecuteAsync());
            }).ToList();

            var figures = new Dictionary<string, (double Gets, double P95)>();
            foreach (var (name, result) in await Task.WhenAll(runs))
            {
                passed &= result.Passed && result.Lateness.Count == result.Finished;
                var gets = result.PollsPerReview.Count == 0 ? 0 : result.PollsPerReview.Average();
                var p95 = BenchmarkResult.Percentile(result.Lateness, 0.95).TotalSeconds;
                figures[name] = (gets, p95);
                static string S(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
                lines.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"polling {estimate} {name}: gets/review {gets:0.0}, " +
                    $"lateness p50 {S(BenchmarkResult.Percentile(result.Lateness, 0.5))} s, p95 {S(BenchmarkResult.Percentile(result.Lateness, 0.95))} s, " +
                    $"p99 {S(BenchmarkResult.Percentile(result.Lateness, 0.99))} s"));
                output.WriteLine($"  {estimate} {name}: {result.Finished}/{result.Submitted} finished, {result.Lateness.Count} timed");
            }

            if (Goal(estimate, figures) is { Line: var goal, Met: var met })
            {
                lines.Add(goal);
                passed &= met;
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
