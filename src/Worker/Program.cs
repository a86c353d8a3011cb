using Avatar.Worker;

var builder = WorkerHost.CreateBuilder(args);
using var host = builder.Build();
await host.RunAsync();
