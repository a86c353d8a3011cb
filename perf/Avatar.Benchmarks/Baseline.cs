using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --baseline</c>: what a review costs beside what MassTransit alone costs. The bare chain
/// (<see cref="BareChainRun"/>) moves N items through the worker's three hops; one worker finishes N reviews, instant
/// and with no xcompute latency by default, with the same concurrency and no request budget (the budget caps xcompute
/// calls, not the worker's work). Both run side by side on the same broker, in batches that alternate: first warm-up
/// batches, until the worker has tiered up its code (<see cref="IsWarm"/>, at most <c>--warm-up 12</c> of them), then
/// <c>--rounds 5</c> measured batches of each, whose medians are compared: the machine is shared, and a burst of load
/// from elsewhere then falls on one batch of one side, not on everything one side measured.
/// </summary>
internal static class Baseline
{
    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var submissions = settings.GetValue("submissions", 2000);
        var concurrency = settings.GetValue("concurrency", 8);
        var warmUps = settings.GetValue("warm-up", 12);
        var rounds = Math.Max(settings.GetValue("rounds", 5), 1);
        var options = new BenchmarkOptions(
            submissions,
            Workers: 1,
            ReviewDuration: TimeSpan.FromSeconds(settings.GetValue("review-seconds", 0.0)),
            LatencyMs: settings.GetValue("latency-ms", 0),
            ConcurrentMessageLimit: concurrency)
        {
            WorkerSettings = new Dictionary<string, string> { ["XCompute:MaxRequestsPerSecond"] = "0" },
        };

        var bareResults = new List<BareChainResult>();
        var workerResults = new List<BenchmarkResult>();
        await using (var bare = await BareChainRun.StartAsync(concurrency))
        await using (var run = await BenchmarkRun.StartAsync(options))
        {
            // What each process holds once started, before its first message: the floor under its peak.
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  started: worker {Sizes.Mebibytes(run.WorkerPeakResidentBytes()[0]):0} MiB, baseline {Sizes.Mebibytes(bare.PeakResidentBytes()):0} MiB (peak RSS before the first message)"));
            for (var batch = 1; batch <= warmUps; batch++)
            {
                await bare.MeasureAsync(submissions);
                var warmUp = await run.ExecuteAsync();
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  warm-up {batch}: worker {warmUp.Throughput:0.0} reviews/s, compiling code {warmUp.CompilingTime.TotalSeconds:0.0} s of {warmUp.Wall.TotalSeconds:0.0} s"));
                if (IsWarm(warmUp))
                {
                    break;
                }
            }

            for (var round = 1; round <= rounds; round++)
            {
                bareResults.Add(await bare.MeasureAsync(submissions));
                workerResults.Add(await run.ExecuteAsync());
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  round {round}: baseline {bareResults[^1].Throughput:0.0} items/s, worker {workerResults[^1].Throughput:0.0} reviews/s ({workerResults[^1].Throughput / bareResults[^1].Throughput:0%})"));
            }
        }

        // The round whose throughput is the median stands for each side; its other figures come with it.
        var worker = workerResults.OrderBy(r => r.Throughput).ElementAt(rounds / 2);
        var reference = bareResults.OrderBy(r => r.Throughput).ElementAt(rounds / 2);
        worker.Print(output, options);
        reference.Print(output, concurrency);
        var rss = worker.WorkerPeakResidentBytes[0];
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"throughput {worker.Throughput:0.0} reviews/s ({worker.Throughput / reference.Throughput:0%} of baseline), " +
            $"cpu {worker.ProcessorMillisecondsPerReview:0.00} ms/review ({worker.ProcessorMillisecondsPerReview / reference.ProcessorMillisecondsPerItem:0.0}x), " +
            $"peak RSS {Sizes.Mebibytes(rss):0} MiB ({(double)rss / reference.PeakResidentBytes:0.00}x)"));
        return workerResults.All(r => r.Passed) && bareResults.All(r => r.Finished == r.Items) ? 0 : 1;
    }

    /// <summary>
    /// The worker is measured once its code has tiered up: the runtime's JIT compiled for under 5 % of a batch's time.
    /// Until then it compiles much of the time (most of its second minute; see docs/benchmarks.md), and what would be
    /// measured is its start.
    /// </summary>
    private static bool IsWarm(BenchmarkResult batch) => batch.CompilingTime < batch.Wall * 0.05;
}
