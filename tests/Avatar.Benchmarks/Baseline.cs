using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --baseline</c>: what a review costs beside what MassTransit alone costs. The bare chain
/// (<see cref="BareChainRun"/>) moves N items through the worker's three hops; one worker finishes N reviews, instant
/// and with no xcompute latency by default, with the same concurrency and no request budget (the budget caps xcompute
/// calls, not the worker's work). Both run side by side on the same broker. Each first finishes a warm-up batch
/// (<c>--warm-up 4000</c>), so that what is measured is a running process, its code compiled and tiered up; then their
/// measured batches alternate, <c>--rounds 3</c> of each, and the medians are compared: the machine is shared, and a
/// burst of load from elsewhere then falls on one batch of one side, not on everything one side measured.
/// </summary>
internal static class Baseline
{
    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var submissions = settings.GetValue("submissions", 2000);
        var concurrency = settings.GetValue("concurrency", 8);
        var warmUp = settings.GetValue("warm-up", 4000);
        var rounds = Math.Max(settings.GetValue("rounds", 3), 1);
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

        var bareResults = new List<BareChainResult>();
        var workerResults = new List<BenchmarkResult>();
        await using (var bare = await BareChainRun.StartAsync(concurrency))
        await using (var run = await BenchmarkRun.StartAsync(options))
        {
            if (warmUp > 0)
            {
                await bare.MeasureAsync(warmUp);
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
            $"peak RSS {rss / 1024.0 / 1024.0:0} MiB ({(double)rss / reference.PeakResidentBytes:0.00}x)"));
        return workerResults.All(r => r.Passed) && bareResults.All(r => r.Finished == r.Items) ? 0 : 1;
    }
}
