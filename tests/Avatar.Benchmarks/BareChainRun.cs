using System.Collections.Concurrent;
using System.Globalization;
using Avatar.BareChain;
using Avatar.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stopwatch = System.Diagnostics.Stopwatch;

namespace Avatar.Benchmarks;

/// <summary>What the bare chain (<c>tests/Avatar.BareChain</c>) did with a batch of items.</summary>
public sealed record BareChainResult(int Items, int Finished, TimeSpan Wall, TimeSpan ProcessorTime, long PeakResidentBytes)
{
    public double Throughput => Finished / Wall.TotalSeconds;

    public void Print(TextWriter output, int concurrency) => output.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"baseline: {Throughput:0.0} items/s (bare MassTransit, 3 hops, {Finished}/{Items} items, {concurrency} messages at once per queue), " +
        $"cpu {ProcessorTime.TotalMilliseconds / Math.Max(Finished, 1):0.00} ms/item, peak RSS {PeakResidentBytes / 1024.0 / 1024.0:0} MiB"));
}

/// <summary>
/// The benchmark's reference: the bare chain in its own process on the same broker, with the same concurrency, fed
/// the same number of items as the worker gets submissions (after the same warm-up), by a client bus that publishes
/// them and counts the outcome events, as the worker's benchmark does.
/// </summary>
internal static class BareChainRun
{
    public static async Task<BareChainResult> RunAsync(int items, int concurrency, int warmUp)
    {
        await using var services = await Services.StartAsync();
        var settings = Harness.BrokerSettings(services);
        settings["Messaging:ConcurrentMessageLimit"] = concurrency.ToString(CultureInfo.InvariantCulture);
        settings["Logging:LogLevel:Default"] = "Warning";
        using var chain = WorkerProcess.Start(
            WorkerProcess.BuildOutput("tests/Avatar.BareChain", "Avatar.BareChain"), settings, Path.Combine(".run", "bench-bare-chain.log"));
        await chain.WaitUntilStartedAsync(TimeSpan.FromMinutes(2));

        var done = new ConcurrentDictionary<Guid, byte>();
        using var client = await StartClientAsync(services, done);
        try
        {
            var bus = client.Services.GetRequiredService<IBus>();
            async Task<(int Finished, TimeSpan Wall)> PublishAndWaitAsync(int count)
            {
                var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToHashSet();
                var clock = Stopwatch.StartNew();
                foreach (var id in ids)
                {
                    await bus.Publish(new BareItem(id));
                }

                while (ids.Count(done.ContainsKey) < count && clock.Elapsed < TimeSpan.FromMinutes(5))
                {
                    await Task.Delay(100);
                }

                return (ids.Count(done.ContainsKey), clock.Elapsed);
            }

            if (warmUp > 0)
            {
                await PublishAndWaitAsync(warmUp);
            }

            var processorAtStart = chain.ProcessorTime();
            var (finished, wall) = await PublishAndWaitAsync(items);
            var result = new BareChainResult(items, finished, wall, chain.ProcessorTime() - processorAtStart, chain.PeakResidentBytes());
            chain.Stop();
            return result;
        }
        finally
        {
            await client.StopAsync();
        }
    }

    private static async Task<IHost> StartClientAsync(Services services, ConcurrentDictionary<Guid, byte> done)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("MassTransit", LogLevel.Error))
            .ConfigureServices(s =>
            {
                s.AddSingleton(done);
                s.AddMassTransit(x =>
                {
                    x.AddConsumer<DoneRecorder>();
                    x.UsingRabbitMq((context, cfg) =>
                    {
                        Harness.ConfigureHost(cfg, services);
                        cfg.ReceiveEndpoint($"bare-done-{Guid.NewGuid():N}", e =>
                        {
                            e.SetQuorumQueue();
                            e.ConfigureConsumer<DoneRecorder>(context);
                        });
                    });
                });
            })
            .Build();
        await host.StartAsync();
        return host;
    }

    private sealed class DoneRecorder(ConcurrentDictionary<Guid, byte> done) : IConsumer<BareDone>
    {
        public Task Consume(ConsumeContext<BareDone> context)
        {
            done.TryAdd(context.Message.Id, 0);
            return Task.CompletedTask;
        }
    }
}
