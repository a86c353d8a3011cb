using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Avatar.Persistence;
using Avatar.Worker.Hosting;
using Avatar.Worker.Telemetry;
using MassTransit;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Stops this instance taking messages while PostgreSQL is away, and starts it again once PostgreSQL answers, so an
/// outage of any length spends no message's retries and sends nothing to <c>_error</c>.
/// </summary>
/// <remarks>
/// <para>
/// A message whose consumer meets a server's absence (<see cref="TransientFailures"/>) marks the database as suspect
/// (<see cref="Suspect"/>, from <see cref="DeliveryPolicy"/>'s consume filter). The <see cref="OutageProbe"/> loop then
/// asks PostgreSQL for its clock; when it does not answer, every receive endpoint of this instance is stopped, as
/// MassTransit's kill switch stops one: messages in flight are given <see cref="MessagingOptions.ConsumerStopTimeout"/>
/// to finish and are then returned to their queue, unacknowledged, for whichever instance is up first. The probe keeps
/// asking every second and starts the endpoints again at the first answer. One log line when taking messages stops,
/// one when it starts again; <c>avatar.intake.paused</c> is 1 meanwhile.
/// </para>
/// <para>
/// Written here rather than taken from MassTransit: the kill switch restarts an endpoint after a fixed time, whatever
/// the database is doing, and trips on a share of faulted messages, which during an outage are messages sent to
/// <c>_error</c> or retried until their tolerance runs out: the very thing this avoids. The gate uses the same
/// endpoint stop and start the kill switch uses, on the signal that matters: the database's own answer.
/// </para>
/// </remarks>
public sealed class OutageGate : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<Uri, IReceiveEndpoint> endpoints = new();
    private readonly ILogger<OutageGate> logger;
    private readonly Counter<long> pauses;
    private volatile bool suspected;
    private volatile bool paused;

    public OutageGate(AvatarMetrics metrics, ILogger<OutageGate> logger)
    {
        this.logger = logger;
        pauses = metrics.Meter.CreateCounter<long>("avatar.intake.pauses", "{pause}", "Times this instance stopped taking messages because PostgreSQL did not answer.");
        metrics.Meter.CreateObservableGauge("avatar.intake.paused", () => paused ? 1 : 0, "{instance}", "1 while this instance takes no messages because PostgreSQL does not answer.");
    }

    public bool IsPaused => paused;

    /// <summary>A consumer met a server's absence: the probe looks at the database at its next pass.</summary>
    public void Suspect() => suspected = true;

    /// <summary>Whether the probe has anything to look at: a suspicion, or a pause to end.</summary>
    internal bool NeedsProbe => suspected || paused;

    /// <summary>PostgreSQL did not answer: stops every endpoint (waiting for the messages in flight), once.</summary>
    internal async Task PauseAsync(string reason)
    {
        suspected = false;
        if (paused)
        {
            return;
        }

        paused = true;
        pauses.Add(1);
        logger.LogWarning(
            "PostgreSQL does not answer ({Reason}); this instance stopped taking messages on {Count} endpoint(s) until it does",
            reason, endpoints.Count);
        await Task.WhenAll(endpoints.Values.Select(StopAsync));
    }

    /// <summary>PostgreSQL answered: starts every endpoint again, if they were stopped.</summary>
    internal async Task ResumeAsync(TimeSpan pausedFor)
    {
        suspected = false;
        if (!paused)
        {
            return;
        }

        paused = false;
        logger.LogInformation("PostgreSQL answers again; this instance takes messages again after {Duration}", pausedFor);
        await Task.WhenAll(endpoints.Values.Select(StartAsync));
    }

    public Task Ready(ReceiveEndpointReady ready)
    {
        endpoints[ready.InputAddress] = ready.ReceiveEndpoint;

        // An endpoint that reconnected to the broker during a pause consumes again: stop it again.
        return paused ? StopAsync(ready.ReceiveEndpoint) : Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    private async Task StopAsync(IReceiveEndpoint endpoint)
    {
        try
        {
            await endpoint.Stop();
        }
        catch (Exception exception)
        {
            logger.LogDebug(exception, "Stopping an endpoint during a database outage failed");
        }
    }

    private async Task StartAsync(IReceiveEndpoint endpoint)
    {
        try
        {
            await endpoint.Start().Ready;
        }
        catch (Exception exception)
        {
            // MassTransit keeps trying to connect an endpoint it started; the bus's own health check shows it meanwhile.
            logger.LogDebug(exception, "Starting an endpoint after a database outage failed");
        }
    }
}

/// <summary>The loop that asks PostgreSQL whether it is there, whenever the <see cref="OutageGate"/> needs to know.</summary>
internal sealed class OutageProbe(OutageGate gate, IServiceScopeFactory scopes, WorkerLoops loops, TimeProvider clock, ILogger<OutageProbe> logger)
    : WorkerLoop(loops, clock, logger)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private long pausedAt;

    protected override string Name => "outage-probe";

    protected override TimeSpan MaxQuiet => TimeSpan.FromMinutes(1);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken)
    {
        if (!gate.NeedsProbe)
        {
            return Interval;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(ProbeTimeout);
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AvatarDbContext>().NowAsync(timeout.Token);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            if (!gate.IsPaused)
            {
                pausedAt = Clock.GetTimestamp();
                await gate.PauseAsync(exception is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : exception.GetBaseException().Message);
            }

            return Interval;
        }

        await gate.ResumeAsync(Clock.GetElapsedTime(pausedAt));
        return Interval;
    }
}
