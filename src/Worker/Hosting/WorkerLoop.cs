namespace Avatar.Worker.Hosting;

/// <summary>
/// A background loop that never gives up: it runs <see cref="RunOnceAsync"/> again and again until the host stops, and
/// nothing a pass throws (PostgreSQL or RabbitMQ away, a timeout, a cancellation that is not the host's, a bug) ends
/// it. A failing loop shows in readiness and in <c>avatar.loop.failures</c> (<see cref="WorkerLoops"/>), and in the
/// log once when it starts failing and once when it works again, never as an exit of the process.
/// </summary>
/// <remarks>
/// Every <see cref="BackgroundService"/> of the worker derives from this class, so no loop can stop the host: .NET stops
/// the whole application when a background service's task faults (<c>BackgroundServiceExceptionBehavior.StopHost</c>).
/// </remarks>
public abstract class WorkerLoop(WorkerLoops loops, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock => clock;

    protected ILogger Logger => logger;

    /// <summary>The loop's name in health, metrics and the log.</summary>
    protected abstract string Name { get; }

    /// <summary>How long without a completed pass makes this instance unready.</summary>
    protected abstract TimeSpan MaxQuiet { get; }

    /// <summary>The wait after a pass that failed (the next one will most likely fail as well while a server is away).</summary>
    protected virtual TimeSpan RetryAfterFailure => TimeSpan.FromSeconds(1);

    /// <summary>One pass; returns how long to wait before the next.</summary>
    protected abstract Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var current = loops.Register(Name, MaxQuiet);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await RunOnceAsync(stoppingToken);
                if (current.Completed(clock.GetTimestamp()) is { } failedFor)
                {
                    logger.LogInformation("The {Loop} loop works again after {Duration}", Name, failedFor);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                wait = RetryAfterFailure;
                if (current.Failed(clock.GetTimestamp()))
                {
                    logger.LogWarning(exception, "The {Loop} loop failed; it keeps trying every {Interval} until it works again", Name, wait);
                }
                else
                {
                    logger.LogDebug("The {Loop} loop still fails: {Message}", Name, exception.Message);
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
