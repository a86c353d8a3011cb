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

/// <summary>What the bare chain (<c>perf/Avatar.BareChain</c>) did with a batch of items.</summary>
public sealed record BareChainResult(int Items, int Finished, TimeSpan Wall, TimeSpan ProcessorTime, long PeakResidentBytes)
{
    public double Throughput => Finished / Wall.TotalSeconds;

    public double ProcessorMillisecondsPerItem => ProcessorTime.TotalMilliseconds / Math.Max(Finished, 1);

    public void Print(TextWriter output, int concurrency) => output.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"baseline: {Throughput:0.0} items/s (bare MassTransit, 3 hops, {Finished}/{Items} items, {concurrency} messages at once per queue), " +
        $"cpu {ProcessorMillisecondsPerItem:0.00} ms/item, peak RSS {Sizes.Mebibytes(PeakResidentBytes):0} MiB"));
}

/// <summary>
/// The benchmark's reference: the bare chain in its own process on the same broker, with the same concurrency, and a
/// client bus that publishes items and counts the outcome events, as the worker's benchmark does. It stays up between
/// batches, so batches can alternate with the worker's.
/// </summary>
internal sealed class BareChainRun : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, byte> done = new();
    private Services services = null!;
    private WorkerProcess chain = null!;
    private IHost client = null!;

    private BareChainRun()
    {
    }

    public static async Task<BareChainRun> StartAsync(int concurrency)
    {
        var run = new BareChainRun();
        try
        {
            run.services = await Services.StartAsync();
            var settings = Harness.BrokerSettings(run.services);
            settings["Messaging:ConcurrentMessageLimit"] = concurrency.ToString(CultureInfo.InvariantCulture);
            settings["Logging:LogLevel:Default"] = "Warning";
            run.chain = WorkerProcess.Start(
                WorkerProcess.BuildOutput("perf/Avatar.BareChain", "Avatar.BareChain"), settings, Path.Combine(".run", "bench-bare-chain.log"));
            await run.chain.WaitUntilStartedAsync(TimeSpan.FromMinutes(2));
            run.client = await StartClientAsync(run.services, run.done);
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        return run;
    }

    /// <summary>Moves <paramref name="items"/> items through the chain and waits for them: the batch's throughput and the chain's processor time.</summary>
    public async Task<BareChainResult> MeasureAsync(int items)
    {
        var bus = client.Services.GetRequiredService<IBus>();
        var ids = Enumerable.Range(0, items).Select(_ => Guid.NewGuid()).ToHashSet();
        var processorAtStart = chain.ProcessorTime();
        var clock = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            await bus.Publish(new BareItem(id));
        }

        while (ids.Count(done.ContainsKey) < items && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(100);
        }

        return new BareChainResult(items, ids.Count(done.ContainsKey), clock.Elapsed, chain.ProcessorTime() - processorAtStart, PeakResidentBytes());
    }

    /// <summary>The bare chain's peak resident memory so far.</summary>
    public long PeakResidentBytes() => chain.PeakResidentBytes();

    public async ValueTask DisposeAsync()
    {
        // Any of these may be missing when starting failed half-way.
        if (client is not null)
        {
            await client.StopAsync();
            client.Dispose();
        }

        if (chain is not null)
        {
            chain.Stop();
            chain.Dispose();
        }

        if (services is not null)
        {
            await services.DisposeAsync();
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
