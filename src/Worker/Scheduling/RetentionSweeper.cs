using Avatar.Persistence;
using Avatar.Worker.Workflows;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// Deletes sessions and submissions that finished longer ago than <c>Avatar:Retention:Period</c>, in small batches.
/// Runs in every instance; whichever gets there first deletes a batch, and the others skip the rows it has locked.
/// </summary>
internal sealed class RetentionSweeper(IServiceScopeFactory scopes, IOptions<WorkflowOptions> options, TimeProvider clock, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    private readonly RetentionOptions retention = options.Value.Retention;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(retention.SweepInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var sessions = await SweepAsync<AvatarSession>(stoppingToken);
                var submissions = await SweepAsync<AvatarSubmission>(stoppingToken);
                if (sessions + submissions > 0)
                {
                    logger.LogInformation("Deleted {Sessions} session(s) and {Submissions} submission(s) finished more than {Period} ago", sessions, submissions, retention.Period);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Deleting finished rows failed; trying again in {Interval}: {Message}", retention.SweepInterval, exception.Message);
            }
        }
    }

    private async Task<int> SweepAsync<TRow>(CancellationToken cancellationToken)
        where TRow : class, IScheduled
    {
        var total = 0;
        int deleted;
        do
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
            deleted = await db.DeleteFinishedAsync<TRow>(retention.Period, retention.BatchSize, cancellationToken);
            total += deleted;
        }
        while (deleted == retention.BatchSize);

        return total;
    }
}
