// Reviews through worker processes against the simulator, on real RabbitMQ and PostgreSQL; prints what they cost.
// Usage: ./bench.sh [--submissions N] [--workers K] [--review-seconds S] [--latency-ms L]
//        ./bench.sh --workers 1,2,4 --latency-ms 200   (scale-out: the same workload once per worker count, in one run)
//        ./bench.sh --claim-rows 10000   (the dispatcher's claim statement with that many open rows)
using System.Globalization;
using Avatar.Benchmarks;
using Microsoft.Extensions.Configuration;

var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
if (settings.GetValue<int?>("claim-rows") is { } rows)
{
    return await ClaimQueryBenchmark.RunAsync(rows, Console.Out);
}

var counts = (settings["workers"] ?? "2").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToList();
var scaleOut = counts.Count > 1;

// A scale-out run needs more work than one instance does while a review waits, or every count measures the review.
var submissions = settings.GetValue("submissions", scaleOut ? 1500 : 200);
var results = new List<(BenchmarkOptions Options, BenchmarkResult Result)>();
foreach (var workers in counts)
{
    var options = new BenchmarkOptions(
        Submissions: submissions,
        Workers: workers,
        ReviewDuration: TimeSpan.FromSeconds(settings.GetValue("review-seconds", 10.0)),
        LatencyMs: settings.GetValue("latency-ms", 20));
    await using var run = await BenchmarkRun.StartAsync(options);
    var result = await run.ExecuteAsync();
    result.Print(Console.Out, options);
    results.Add((options, result));
}

if (scaleOut)
{
    var baseline = results[0].Result.Throughput / results[0].Options.Workers;
    Console.WriteLine($"scale-out, {submissions} submissions, {results[0].Options.LatencyMs} ms per xcompute call:");
    foreach (var (options, result) in results)
    {
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  workers {options.Workers}: {result.Throughput:0.0} reviews/s, {result.Throughput / baseline:0.00}x one worker, time to outcome p50 {result.Percentile(0.5).TotalSeconds:0.0} s"));
    }
}

return results.All(r => r.Result.Passed) ? 0 : 1;
