using Avatar.Worker.Hosting;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Avatar.Worker.Tests;

/// <summary>
/// A background loop outlives whatever its passes throw, in a real host left at .NET's default (a faulted background
/// service stops the whole application); its failures show in readiness instead.
/// </summary>
public sealed class WorkerLoopTests
{
    [Fact]
    public async Task Passes_that_throw_neither_end_the_loop_nor_stop_the_host()
    {
        // What a pass meets while PostgreSQL goes away: a timeout that is not the host's, a cancelled task, a failed connection.
        var loop = new ScriptedLoop(
            new OperationCanceledException("a timeout of the pass's own"),
            new TaskCanceledException("a cancelled command"),
            new InvalidOperationException("the connection failed"),
            new ObjectDisposedException("a pooled connection"));
        using var host = StartHost(loop);
        await host.StartAsync();

        await loop.Passes(count: 6).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_loop_that_completes_no_pass_for_longer_than_it_allows_makes_the_instance_unready_until_it_does()
    {
        // Its passes fail until the test stops the failures, however slowly the test runs.
        var loop = new ScriptedLoop(Enumerable.Repeat<Exception>(new InvalidOperationException("PostgreSQL is away"), 10_000).ToArray()) { Quiet = TimeSpan.FromMilliseconds(100) };
        using var host = StartHost(loop);
        var loops = host.Services.GetRequiredService<WorkerLoops>();
        await host.StartAsync();

        await loop.Passes(count: 7).WaitAsync(TimeSpan.FromSeconds(10));
        var failing = await loops.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, failing.Status);
        Assert.Contains("scripted completed no pass", failing.Description);

        var passes = loop.StopFailing();
        await loop.Passes(count: passes + 2).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Healthy, (await loops.CheckHealthAsync(new HealthCheckContext())).Status);
        await host.StopAsync();
    }

    private static IHost StartHost(ScriptedLoop loop)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<AvatarMetrics>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkerLoops>();
        builder.Services.AddHostedService(p => loop.Attach(p.GetRequiredService<WorkerLoops>()));
        return builder.Build();
    }

    /// <summary>A loop whose passes throw the given exceptions, one a pass, then complete; every pass 20 ms apart.</summary>
    private sealed class ScriptedLoop(params Exception[] failures)
    {
        private readonly Queue<Exception> script = new(failures);
        private readonly List<(int Count, TaskCompletionSource Reached)> waiters = [];
        private int passes;

        public TimeSpan Quiet { get; init; } = TimeSpan.FromMinutes(1);

        public Task Passes(int count)
        {
            lock (waiters)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (passes >= count)
                {
                    reached.SetResult();
                }
                else
                {
                    waiters.Add((count, reached));
                }

                return reached.Task;
            }
        }

        public WorkerLoop Attach(WorkerLoops loops) => new Runner(this, loops);

        /// <summary>The passes from now on complete; returns how many there have been so far.</summary>
        public int StopFailing()
        {
            lock (waiters)
            {
                script.Clear();
                return passes;
            }
        }

        private void Pass()
        {
            Exception? failure;
            lock (waiters)
            {
                passes++;
                foreach (var waiter in waiters.Where(w => w.Count <= passes))
                {
                    waiter.Reached.TrySetResult();
                }

                script.TryDequeue(out failure);
            }

            if (failure is not null)
            {
                throw failure;
            }
        }

        private sealed class Runner(ScriptedLoop script, WorkerLoops loops) : WorkerLoop(loops, TimeProvider.System, NullLogger.Instance)
        {
            protected override string Name => "scripted";

            protected override TimeSpan MaxQuiet => script.Quiet;

            protected override TimeSpan RetryAfterFailure => TimeSpan.FromMilliseconds(20);

            protected override Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken)
            {
                script.Pass();
                return Task.FromResult(TimeSpan.FromMilliseconds(20));
            }
        }
    }
}
