using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Avatar.Testing;

/// <summary>
/// Publishes commands as a careful caller does: again until the broker confirms, and on a fresh bus when the current
/// one keeps failing. On the RabbitMQ cluster a MassTransit publisher that lived through the loss of a queue's leader
/// node was seen to have every later publish to that queue refused (basic.nack) for minutes, while a fresh channel was
/// confirmed at once; the worker's own connections die with the node and start fresh.
/// </summary>
public sealed class CarefulPublisher(Services services) : IAsyncDisposable
{
    private IHost? host;

    public async Task PublishAsync<T>(T message, CancellationToken cancellationToken = default)
        where T : class
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                host ??= await StartAsync();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                await host.Services.GetRequiredService<IBus>().Publish(message, attempt.Token);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A duplicate of a command that did arrive is harmless: the worker is idempotent per id.
                if (failures % 3 == 0)
                {
                    await StopAsync();
                }

                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    private async Task<IHost> StartAsync()
    {
        // No logging of its own: MassTransit keeps a process-wide log context, which a disposed host's logger factory
        // would poison for the next bus; the null factory is never disposed.
        var started = Host.CreateDefaultBuilder()
            .ConfigureServices(s =>
            {
                s.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
                s.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => Harness.ConfigureHost(cfg, services)));
            })
            .Build();
        await started.StartAsync();
        return started;
    }

    private async Task StopAsync()
    {
        if (host is { } stopping)
        {
            host = null;
            try
            {
                await stopping.StopAsync(TimeSpan.FromSeconds(10));
            }
            finally
            {
                stopping.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
