// Reviews through worker processes against the simulator, on real RabbitMQ and PostgreSQL; prints what they cost.
// Usage: ./bench.sh [--submissions N] [--workers K] [--review-seconds S] [--latency-ms L] [--concurrency C]
//        ./bench.sh --workers 1,2,4 --latency-ms 200   (scale-out: the same workload once per worker count, in one run)
//        ./bench.sh --claim-rows 10000   (the dispatcher's claim statement with that many open rows)
//        ./bench.sh --baseline [--submissions 2000] [--warm-up 12] [--rounds 5] [--review-seconds 0]   (one worker beside bare MassTransit's three hops, batches alternating)
//        ./bench.sh --compare-polling [--submissions 200] [--noisy-progress false] [--estimates exact,error-0.5,constant-30s,none] [--strategies fixed-3s,adaptive]
//        ./bench.sh --stack-floor [--starts 3]   (the memory the fixed libraries hold once started, layer by layer, beside the worker's)
using System.Globalization;
using Avatar.Benchmarks;
using Microsoft.Extensions.Configuration;

// Switches that take no value; every other option is --name value.
string[] switches = ["--compare-polling", "--baseline", "--stack-floor"];
var on = args.Where(switches.Contains).ToHashSet();
var settings = new ConfigurationBuilder().AddCommandLine([.. args.Where(a => !switches.Contains(a))]).Build();
if (settings.GetValue<int?>("claim-rows") is { } rows)
{
    return await ClaimQueryBenchmark.RunAsync(rows, Console.Out);
}

if (on.Contains("--compare-polling"))
{
    return await PollingComparison.RunAsync(settings, Console.Out);
}

if (on.Contains("--baseline"))
{
    return await Baseline.RunAsync(settings, Console.Out);
}

if (on.Contains("--stack-floor"))
{
    return await StackFloor.RunAsync(settings, Console.Out);
}

var counts = (settings["workers"] ?? "2").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToList();
var scaleOut = counts.Count > 1;

// A scale-out run needs more work than one instance does while a review waits, or every count measures the review; and
// each instance must be bound by waiting on xcompute, not by this machine's CPU, which the simulator, RabbitMQ,
// PostgreSQL and every worker share: so 2 messages at once per queue per instance unless --concurrency says otherwise.
var submissions = settings.GetValue("submissions", scaleOut ? 1500 : 200);
var concurrency = settings.GetValue("concurrency", scaleOut ? 2 : 8);
var results = new List<(BenchmarkOptions Options, BenchmarkResult Result)>();
foreach (var workers in counts)
{
    var options = new BenchmarkOptions(
        Submissions: submissions,
        Workers: workers,
        ReviewDuration: TimeSpan.FromSeconds(settings.GetValue("review-seconds", 10.0)),
        LatencyMs: settings.GetValue("latency-ms", 20),
        ConcurrentMessageLimit: concurrency);
    await using var run = await BenchmarkRun.StartAsync(options);
    var result = await run.ExecuteAsync();
    result.Print(Console.Out, options);
    results.Add((options, result));
    if (!scaleOut)
    {
        // Status requests while a second batch of the same reviews runs (the first batch's figures stay free of them).
        const int askers = 8;
        var (roundTrips, wall) = await run.MeasureStatusAsync(askers);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"status requests: {roundTrips.Count / wall.TotalSeconds:0}/s, p99 {BenchmarkResult.Percentile(roundTrips, 0.99).TotalMilliseconds:0.0} ms ({askers} askers at once, p50 {BenchmarkResult.Percentile(roundTrips, 0.5).TotalMilliseconds:0.0} ms, while {submissions} reviews ran)"));
    }
}

if (scaleOut)
{
    var baseline = results[0].Result.Throughput / results[0].Options.Workers;
    Console.WriteLine($"scale-out, {submissions} submissions, {results[0].Options.LatencyMs} ms per xcompute call, {concurrency} messages at once per queue per worker:");
    foreach (var (options, result) in results)
    {
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  workers {options.Workers}: {result.Throughput:0.0} reviews/s, {result.Throughput / baseline:0.00}x one worker, time to outcome p50 {result.Percentile(0.5).TotalSeconds:0.0} s"));
    }
}

return results.All(r => r.Result.Passed) ? 0 : 1;
