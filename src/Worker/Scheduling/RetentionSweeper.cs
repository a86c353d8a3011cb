using Avatar.Persistence;
using Avatar.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// Deletes sessions and submissions that finished longer ago than <c>Avatar:Retention:Period</c>, in small batches.
/// Runs in every instance; whichever gets there first deletes a batch, and the others skip the rows it has locked.
/// </summary>
internal sealed class RetentionSweeper(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, WorkerLoops loops, TimeProvider clock, ILogger<RetentionSweeper> logger)
    : WorkerLoop(loops, clock, logger)
{
    private readonly RetentionOptions retention = options.Value;
    private bool first = true;

    protected override string Name => "retention-sweeper";

    protected override TimeSpan MaxQuiet => retention.SweepInterval * 3 + TimeSpan.FromMinutes(1);

    protected override TimeSpan RetryAfterFailure => retention.SweepInterval;

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken)
    {
        // The first sweep one interval after start, as every later one.
        if (first)
        {
            first = false;
            return retention.SweepInterval;
        }

        var sessions = await SweepAsync<AvatarSession>(stoppingToken);
        var submissions = await SweepAsync<AvatarSubmission>(stoppingToken);
        if (sessions + submissions > 0)
        {
            Logger.LogInformation("Deleted {Sessions} session(s) and {Submissions} submission(s) finished more than {Period} ago", sessions, submissions, retention.Period);
        }

        return retention.SweepInterval;
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
