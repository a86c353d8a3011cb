using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --baseline</c>: what a review costs beside what MassTransit alone costs. The bare chain
/// (<see cref="BareChainRun"/>) moves N items through the worker's three hops; then one worker finishes N reviews,
/// instant and with no xcompute latency by default, with the same concurrency and no request budget (the budget caps
/// xcompute calls, not the worker's work). Each first finishes a warm-up batch (<c>--warm-up 4000</c>), so that what is
/// measured is a running process, its code compiled and tiered up: on two shared cores the tiered JIT was still
/// recompiling (a fifth of the worker's samples) after 500 reviews, and both figures measured it more than the work.
/// Both on the same broker, in the same run, printed side by side.
/// </summary>
internal static class Baseline
{
    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var submissions = settings.GetValue("submissions", 2000);
        var concurrency = settings.GetValue("concurrency", 8);
        var warmUp = settings.GetValue("warm-up", 4000);
        var bare = await BareChainRun.RunAsync(submissions, concurrency, warmUp);

        var options = new BenchmarkOptions(
            submissions,
            Workers: 1,
            ReviewDuration: TimeSpan.FromSeconds(settings.GetValue("review-seconds", 0.0)),
            LatencyMs: settings.GetValue("latency-ms", 0),
            ConcurrentMessageLimit: concurrency)
        {
            WarmUp = warmUp,
            WorkerSettings = new Dictionary<string, string> { ["XCompute:MaxRequestsPerSecond"] = "0" },
        };
        BenchmarkResult worker;
        await using (var run = await BenchmarkRun.StartAsync(options))
        {
            worker = await run.ExecuteAsync();
        }

        worker.Print(output, options);
        bare.Print(output, concurrency);
        var rss = worker.WorkerPeakResidentBytes[0];
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"throughput {worker.Throughput:0.0} reviews/s ({worker.Throughput / bare.Throughput:0%} of baseline), " +
            $"cpu {worker.ProcessorMillisecondsPerReview:0.00} ms/review ({worker.ProcessorMillisecondsPerReview / (bare.ProcessorTime.TotalMilliseconds / Math.Max(bare.Finished, 1)):0.0}x), " +
            $"peak RSS {rss / 1024.0 / 1024.0:0} MiB ({(double)rss / bare.PeakResidentBytes:0.00}x)"));
        return worker.Passed && bare.Finished == bare.Items ? 0 : 1;
    }
}
