using Avatar.Persistence;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// Runs in every worker instance: claims the sessions and submissions that are due and sends one poll command per
/// claim through RabbitMQ, so any instance may do the work. It holds nothing in memory that matters: the schedule and
/// the claims live in PostgreSQL, and a claim whose message is lost lapses after the lease.
/// </summary>
internal sealed class PollDispatcher(
    IServiceScopeFactory scopes, PollCapacity capacity, DispatchWakeUps wakeUps, DispatcherHeartbeat heartbeat, IOptions<WorkflowOptions> options, TimeProvider clock, ILogger<PollDispatcher> logger)
    : BackgroundService
{
    private readonly PollingOptions polling = options.Value.Polling;
    private DateTimeOffset? failingSince;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        do
        {
            try
            {
                // A full batch means more rows are due: go again at once, as far as this instance can keep up.
                while (await DispatchAsync(stoppingToken) && !stoppingToken.IsCancellationRequested)
                {
                }

                heartbeat.Beat(clock.GetUtcNow());
                Recovered();
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Failed(exception);
            }
        }
        while (await SleepAsync(stoppingToken));
    }

    /// <summary>Until the next look: one interval, or sooner when a poll this instance scheduled falls due (<see cref="DispatchWakeUps"/>).</summary>
    private async Task<bool> SleepAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(wakeUps.NextWait(), clock, stoppingToken);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
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

    // One line when dispatching starts failing and one when it recovers, rather than one a second during an outage.
    private void Failed(Exception exception)
    {
        if (failingSince is null)
        {
            failingSince = clock.GetUtcNow();
            logger.LogError(exception, "Dispatching due polls failed; retrying every {Interval} until it works again", polling.DispatchInterval);
        }
        else
        {
            logger.LogDebug("Dispatching due polls still fails: {Message}", exception.Message);
        }
    }

    private void Recovered()
    {
        if (failingSince is { } since)
        {
            failingSince = null;
            logger.LogInformation("Dispatching due polls works again after {Duration}", clock.GetUtcNow() - since);
        }
    }
}
