using Avatar.Persistence;
using Avatar.Worker.Polling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

public sealed class PollSubmissionConsumer(AvatarDbContext db, SubmissionSteps steps, Schedule schedule, ILogger<PollSubmissionConsumer> logger)
    : IConsumer<PollSubmission>
{
    public async Task Consume(ConsumeContext<PollSubmission> context)
    {
        var (submissionId, lease) = context.Message;
        if (!await db.Submissions.TryHoldAsync(submissionId, lease, schedule.Now, schedule.Lease, context.CancellationToken))
        {
            // A stale claim, or a redelivery after the review was stored: then the event may not have left yet.
            var row = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId, context.CancellationToken);
            if (row is { NextPollAt: null } && row.LeaseToken == lease)
            {
                await context.PublishOutcomeAsync(Outcomes.For(row));
            }

            logger.LogDebug("Skipped a stale poll of submission {SubmissionId}", submissionId);
            return;
        }

        var submission = await db.Submissions.SingleAsync(s => s.Id == submissionId, context.CancellationToken);
        var outcome = await steps.AdvanceAsync(submission, context.CancellationToken);
        await context.SaveAndPublishAsync(db, outcome, logger);
    }
}
