using Avatar.Worker;

await using var app = WorkerHost.Build(WorkerHost.CreateBuilder(args));
await app.RunAsync();
