// Reviews through worker processes against the simulator, on real RabbitMQ and PostgreSQL; prints what they cost.
// Usage: ./bench.sh [--submissions N] [--workers K] [--review-seconds S] [--latency-ms L]
//        ./bench.sh --claim-rows 10000   (the dispatcher's claim statement with that many open rows)
using Avatar.Benchmarks;
using Avatar.Testing;
using Microsoft.Extensions.Configuration;

var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
if (settings.GetValue<int?>("claim-rows") is { } rows)
{
    return await ClaimQueryBenchmark.RunAsync(rows, Console.Out);
}

var options = new BenchmarkOptions(
    Submissions: settings.GetValue("submissions", 200),
    Workers: settings.GetValue("workers", 2),
    ReviewDuration: TimeSpan.FromSeconds(settings.GetValue("review-seconds", 10.0)),
    LatencyMs: settings.GetValue("latency-ms", 20));

await using var run = await BenchmarkRun.StartAsync(options);
var result = await run.ExecuteAsync();
result.Print(Console.Out, options);
return result.Passed ? 0 : 1;
