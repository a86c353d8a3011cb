using Avatar.Persistence;
using Avatar.Worker.Hosting;
using Avatar.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// Runs in every worker instance: claims the sessions and submissions that are due and sends one poll command per
/// claim through RabbitMQ, so any instance may do the work. It holds nothing in memory that matters: the schedule and
/// the claims live in PostgreSQL, and a claim whose message is lost lapses after the lease.
/// </summary>
internal sealed class PollDispatcher(
    IServiceScopeFactory scopes, PollCapacity capacity, DispatchWakeUps wakeUps, WorkerLoops loops, IOptions<PollingOptions> options, TimeProvider clock, ILogger<PollDispatcher> logger)
    : WorkerLoop(loops, clock, logger)
{
    private readonly PollingOptions polling = options.Value;

    protected override string Name => "poll-dispatcher";

    /// <summary>Ten intervals, or 30 s: a dispatcher that claims nothing for that long leaves every due poll waiting.</summary>
    protected override TimeSpan MaxQuiet => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, polling.DispatchInterval.Ticks * 10));

    protected override TimeSpan RetryAfterFailure => polling.DispatchInterval;

    /// <summary>
    /// Claims and sends what is due; a full batch means more rows are due, so it goes again at once, as far as this
    /// instance can keep up. Then it sleeps one interval, or less when a poll this instance scheduled falls due sooner
    /// (<see cref="DispatchWakeUps"/>).
    /// </summary>
    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken)
    {
        while (await DispatchAsync(stoppingToken) && !stoppingToken.IsCancellationRequested)
        {
        }

        return wakeUps.NextWait();
    }

    private async Task<bool> DispatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
        var endpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();

        var sessions = await DispatchAsync<AvatarSession>(db, endpoints, PollQueues.SessionAddress, c => new PollSession(c.Id, c.LeaseToken), cancellationToken);
        var submissions = await DispatchAsync<AvatarSubmission>(db, endpoints, PollQueues.SubmissionAddress, c => new PollSubmission(c.Id, c.LeaseToken), cancellationToken);
        if (sessions + submissions > 0)
        {
            logger.LogDebug("Dispatched {Sessions} session and {Submissions} submission poll(s)", sessions, submissions);
        }

        return sessions == polling.DispatchBatchSize || submissions == polling.DispatchBatchSize;
    }

    private async Task<int> DispatchAsync<TRow>(
        AvatarDbContext db, ISendEndpointProvider endpoints, Uri queue, Func<PollClaim, object> message, CancellationToken cancellationToken)
        where TRow : class, IScheduled
    {
        var max = Math.Min(polling.DispatchBatchSize, capacity.Available());
        if (max == 0)
        {
            return 0;
        }

        var claims = await db.ClaimDueAsync<TRow>(polling.Lease, max, cancellationToken);
        if (claims.Count == 0)
        {
            return 0;
        }

        try
        {
            // Sending waits while the broker is away; past a few seconds the claims are better handed back at once.
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            sending.CancelAfter(TimeSpan.FromSeconds(10));
            var endpoint = await endpoints.GetSendEndpoint(queue);
            await Task.WhenAll(claims.Select(async claim =>
            {
                using var dispatch = ScheduleTracing.StartDispatch(claim.TraceParent, queue.AbsolutePath);
                await endpoint.Send(message(claim), sending.Token);
            }));
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            await db.ReleaseAsync<TRow>(claims, CancellationToken.None);
            throw new InvalidOperationException($"Sending {claims.Count} claim(s) to {queue} failed; they were handed back to the schedule.", exception);
        }

        capacity.Sent(claims.Count);
        return claims.Count;
    }
}
