using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Avatar.Worker.Hosting;

/// <summary>
/// How this instance's background loops (<see cref="WorkerLoop"/>) are doing: the readiness check <c>worker-loops</c>
/// (unready while a loop has completed no pass for longer than it allows) and the metrics <c>avatar.loop.failures</c>
/// (failed passes, by loop) and <c>avatar.loop.failing</c> (1 while a loop's last pass failed).
/// </summary>
/// <remarks>Times are read from the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>): a step of the wall clock moves no deadline.</remarks>
public sealed class WorkerLoops : IHealthCheck
{
    private readonly ConcurrentDictionary<string, Status> loops = new();
    private readonly TimeProvider clock;
    private readonly Counter<long> failures;
    private readonly long started;

    public WorkerLoops(AvatarMetrics metrics, TimeProvider clock)
    {
        this.clock = clock;
        started = clock.GetTimestamp();
        failures = metrics.Meter.CreateCounter<long>("avatar.loop.failures", "{pass}", "Passes of a background loop that failed, by loop; the loop keeps going.");
        metrics.Meter.CreateObservableGauge(
            "avatar.loop.failing",
            () => loops.Values.Select(s => new Measurement<int>(s.IsFailing ? 1 : 0, new KeyValuePair<string, object?>("loop", s.Name))),
            "{loop}",
            "1 while a background loop's last pass failed, by loop.");
    }

    public Status Register(string name, TimeSpan maxQuiet) => loops.GetOrAdd(name, n => new Status(this, n, maxQuiet));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = clock.GetTimestamp();
        var quiet = loops.Values
            .Select(s => (s.Name, Quiet: clock.GetElapsedTime(s.LastCompleted ?? started, now), s.MaxQuiet))
            .Where(s => s.Quiet > s.MaxQuiet)
            .Select(s => $"{s.Name} completed no pass for {s.Quiet.TotalSeconds:0} s")
            .ToList();
        return Task.FromResult(quiet.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(string.Join("; ", quiet)));
    }

    /// <summary>One loop's passes. Only its own loop writes it.</summary>
    public sealed class Status(WorkerLoops owner, string name, TimeSpan maxQuiet)
    {
        private long lastCompleted;
        private long failingSince;

        public string Name => name;

        public TimeSpan MaxQuiet => maxQuiet;

        public long? LastCompleted => Interlocked.Read(ref lastCompleted) is var at and not 0 ? at : null;

        public bool IsFailing => Interlocked.Read(ref failingSince) != 0;

        /// <summary>A pass completed; returns how long the loop had been failing, if it had.</summary>
        public TimeSpan? Completed(long now)
        {
            Interlocked.Exchange(ref lastCompleted, now);
            var since = Interlocked.Exchange(ref failingSince, 0);
            return since == 0 ? null : owner.clock.GetElapsedTime(since, now);
        }

        /// <summary>A pass failed; true when it is the first of a run of failures (the one worth a log line).</summary>
        public bool Failed(long now)
        {
            owner.failures.Add(1, new KeyValuePair<string, object?>("loop", name));
            return Interlocked.CompareExchange(ref failingSince, now, 0) == 0;
        }
    }
}
