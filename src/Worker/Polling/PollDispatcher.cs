using Avatar.Persistence;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Polling;

/// <summary>
/// Runs in every worker instance: claims the sessions and submissions that are due and sends one poll command per
/// claim through RabbitMQ, so any instance may do the work. It holds nothing in memory: the schedule and the claims
/// live in PostgreSQL, and a claim whose holder dies expires after the lease.
/// </summary>
internal sealed class PollDispatcher(
    IServiceScopeFactory scopes, IOptions<WorkflowOptions> options, TimeProvider clock, ILogger<PollDispatcher> logger) : BackgroundService
{
    public static readonly Uri PollSessionQueue = new($"queue:{KebabCaseEndpointNameFormatter.Instance.Consumer<Consumers.PollSessionConsumer>()}");
    public static readonly Uri PollSubmissionQueue = new($"queue:{KebabCaseEndpointNameFormatter.Instance.Consumer<Consumers.PollSubmissionConsumer>()}");

    private readonly PollingOptions polling = options.Value.Polling;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(polling.DispatchInterval, clock);
        do
        {
            try
            {
                // A full batch means more rows are due: go again at once.
                while (await DispatchAsync(stoppingToken) && !stoppingToken.IsCancellationRequested)
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The database or broker is away; the claims it may have taken expire, so nothing is lost.
                logger.LogError(exception, "Dispatching due polls failed; trying again in {Interval}", polling.DispatchInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<bool> DispatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
        var endpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
        var now = clock.GetUtcNow();

        var sessions = await db.ClaimDueAsync<AvatarSession>(now, polling.Lease, polling.DispatchBatchSize, cancellationToken);
        if (sessions.Count > 0)
        {
            var endpoint = await endpoints.GetSendEndpoint(PollSessionQueue);
            await endpoint.SendBatch(sessions.Select(c => new PollSession(c.Id, c.LeaseToken)), cancellationToken);
        }

        var submissions = await db.ClaimDueAsync<AvatarSubmission>(now, polling.Lease, polling.DispatchBatchSize, cancellationToken);
        if (submissions.Count > 0)
        {
            var endpoint = await endpoints.GetSendEndpoint(PollSubmissionQueue);
            await endpoint.SendBatch(submissions.Select(c => new PollSubmission(c.Id, c.LeaseToken)), cancellationToken);
        }

        if (sessions.Count + submissions.Count > 0)
        {
            logger.LogDebug("Dispatched {Sessions} session and {Submissions} submission poll(s)", sessions.Count, submissions.Count);
        }

        return sessions.Count == polling.DispatchBatchSize || submissions.Count == polling.DispatchBatchSize;
    }
}
