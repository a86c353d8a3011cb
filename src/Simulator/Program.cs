using Avatar.Simulator;

var app = SimulatorApp.Build(args);
await app.RunAsync();
