using Avatar.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Avatar.Testing;

/// <summary>One worker instance, composed exactly as <c>Program.cs</c> composes it, running in this process.</summary>
public sealed class WorkerInstance : IAsyncDisposable
{
    private readonly WebApplication host;

    private WorkerInstance(WebApplication host, LogCapture logs)
    {
        this.host = host;
        Logs = logs;
    }

    /// <summary>Every line this instance logged: Debug and up from the worker's own code, Information and up from the rest.</summary>
    public LogCapture Logs { get; }

    /// <summary>
    /// Starts an instance; its log lines also go to <paramref name="shared"/>, which several instances may share.
    /// <paramref name="services"/> adds services of the test's own, such as a <see cref="SavePause"/>.
    /// </summary>
    public static async Task<WorkerInstance> StartAsync(
        IReadOnlyDictionary<string, string> settings, LogCapture? shared = null, Action<IServiceCollection>? services = null)
    {
        var builder = WorkerHost.CreateBuilder([.. settings.Select(s => $"--{s.Key}={s.Value}")]);
        services?.Invoke(builder.Services);
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
        var instance = new WorkerInstance(WorkerHost.Build(builder), logs);
        await instance.host.StartAsync();
        return instance;
    }

    /// <summary>The instance's services, for a test that needs what the worker itself uses (its database context).</summary>
    public IServiceProvider Services => host.Services;

    /// <summary>Where this instance serves its health and metrics endpoints (the management port, never the callback's public one).</summary>
    public Uri BaseAddress
    {
        get
        {
            var publicPort = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Avatar.Worker.Callback.CallbackOptions>>().Value is { PublicBaseUrl: not null } callback
                ? callback.Port
                : -1;
            return host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Select(a => new Uri(a)).First(a => a.Port != publicPort);
        }
    }

    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await host.DisposeAsync();
    }
}
