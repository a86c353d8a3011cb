// Flows through worker processes while workers are killed and PostgreSQL and RabbitMQ are stopped; prints what they ended with.
// Usage: ./chaos.sh [--submissions 1000] [--sessions 100] [--workers 3] [--db-outage-seconds 120] [--broker-outage-seconds 60]
using Avatar.Chaos;

var options = ChaosOptions.From(args);
await using var run = await ChaosRun.StartAsync(options);
var result = await run.ExecuteAsync();
result.Print(Console.Out);
return result.Passed ? 0 : 1;
