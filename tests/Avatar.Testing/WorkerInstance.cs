using Avatar.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Avatar.Testing;

/// <summary>One worker instance, composed exactly as <c>Program.cs</c> composes it, running in this process.</summary>
public sealed class WorkerInstance : IAsyncDisposable
{
    private readonly IHost host;

    private WorkerInstance(IHost host, LogCapture logs)
    {
        this.host = host;
        Logs = logs;
    }

    /// <summary>Every line this instance logged: Debug and up from the worker's own code, Information and up from the rest.</summary>
    public LogCapture Logs { get; }

    /// <summary>Starts an instance; its log lines also go to <paramref name="shared"/>, which several instances may share.</summary>
    public static async Task<WorkerInstance> StartAsync(IReadOnlyDictionary<string, string> settings, LogCapture? shared = null)
    {
        var builder = WorkerHost.CreateBuilder([.. settings.Select(s => $"--{s.Key}={s.Value}")]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs);
        if (shared is not null)
        {
            builder.Logging.AddProvider(shared);
        }

        builder.Logging.AddFilter<LogCapture>(null, LogLevel.Information);
        builder.Logging.AddFilter<LogCapture>("Avatar", LogLevel.Debug);
        var instance = new WorkerInstance(builder.Build(), logs);
        await instance.host.StartAsync();
        return instance;
    }

    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        host.Dispose();
    }
}
