using System.Globalization;
using Avatar.Testing;
using Microsoft.Extensions.Configuration;

namespace Avatar.Benchmarks;

/// <summary>
/// <c>./bench.sh --stack-floor</c>: what the brief's fixed choices hold in memory before the worker's code adds anything.
/// <c>perf/Avatar.StackFloor</c> is started once per layer, each adding one choice to the ones above it (MassTransit on
/// RabbitMQ, ASP.NET Core with health checks, OpenTelemetry with the Prometheus endpoint, Npgsql with one command, EF
/// Core with one query), then the worker itself; each process's peak RSS is read a few seconds after it announced it
/// started, before any message, and the median of <c>--starts 3</c> starts is printed per layer.
/// </summary>
internal static class StackFloor
{
    /// <summary>Long enough for a host's first timers (the worker's dispatcher, the runtime's tiering) to have run once.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private sealed record Layer(string Name, bool Web, bool Telemetry, string Database);

    private sealed record Measured(string Name, string Assembly, Dictionary<string, string> Settings);

    private static readonly Layer[] Layers =
    [
        new("MassTransit on RabbitMQ, one consumer", Web: false, Telemetry: false, Database: "none"),
        new("+ ASP.NET Core, health checks", Web: true, Telemetry: false, Database: "none"),
        new("+ OpenTelemetry, traces and /metrics", Web: true, Telemetry: true, Database: "none"),
        new("+ Npgsql, one command", Web: true, Telemetry: true, Database: "npgsql"),
        new("+ EF Core over it, one query", Web: true, Telemetry: true, Database: "efcore"),
    ];

    public static async Task<int> RunAsync(IConfiguration settings, TextWriter output)
    {
        var starts = Math.Max(settings.GetValue("starts", 3), 1);
        await using var services = await Services.StartAsync();
        var database = $"avatar_floor_{Guid.NewGuid():N}";
        var connectionString = await services.CreateDatabaseAsync(database);
        try
        {
            var floor = WorkerProcess.BuildOutput("perf/Avatar.StackFloor", "Avatar.StackFloor");
            var worker = WorkerProcess.BuildOutput("src/Worker", "Avatar.Worker");
            var runs = Layers
                .Select(layer => new Measured(layer.Name, floor, LayerSettings(services, connectionString, layer)))
                .Append(new Measured("the worker", worker, Harness.WorkerSettings(services, connectionString, new Uri("http://127.0.0.1:9/"), "stack-floor")))
                .ToList();

            // Starts alternate between the layers, so a burst of load from elsewhere falls on one start of one layer.
            var peaks = runs.ToDictionary(r => r.Name, _ => new List<long>());
            for (var start = 0; start < starts; start++)
            {
                foreach (var run in runs)
                {
                    peaks[run.Name].Add(await PeakOnceStartedAsync(run.Assembly, run.Settings));
                }
            }

            output.WriteLine($"stack floor: peak RSS {Settle.TotalSeconds:0} s after start, before any message (median of {starts} starts)");
            foreach (var run in runs)
            {
                var median = peaks[run.Name].Order().ElementAt(starts / 2);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {run.Name,-40} {Sizes.Mebibytes(median),5:0} MiB"));
            }
        }
        finally
        {
            await services.DropDatabaseAsync(database);
        }

        return 0;
    }

    private static Dictionary<string, string> LayerSettings(Services services, string connectionString, Layer layer) => new(Harness.BrokerSettings(services))
    {
        ["ConnectionStrings:Avatar"] = connectionString,
        ["Stack:Web"] = layer.Web.ToString(),
        ["Stack:Telemetry"] = layer.Telemetry.ToString(),
        ["Stack:Database"] = layer.Database,
        ["Logging:LogLevel:Default"] = "Warning",
        ["Urls"] = "http://127.0.0.1:0",
    };

    private static async Task<long> PeakOnceStartedAsync(string assembly, IReadOnlyDictionary<string, string> settings)
    {
        using var process = WorkerProcess.Start(assembly, settings, Path.Combine(".run", "bench-stack-floor.log"));
        await process.WaitUntilStartedAsync(TimeSpan.FromMinutes(2));
        await Task.Delay(Settle);
        var peak = process.PeakResidentBytes();
        process.Stop();
        return peak;
    }
}
