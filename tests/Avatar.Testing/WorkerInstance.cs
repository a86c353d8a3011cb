using Avatar.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Avatar.Testing;

/// <summary>One worker instance, composed exactly as <c>Program.cs</c> composes it, running in this process.</summary>
public sealed class WorkerInstance : IAsyncDisposable
{
    private readonly IHost host;

    private WorkerInstance(IHost host) => this.host = host;

    public static async Task<WorkerInstance> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var builder = WorkerHost.CreateBuilder([.. settings.Select(s => $"--{s.Key}={s.Value}")]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        var host = builder.Build();
        await host.StartAsync();
        return new WorkerInstance(host);
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
