using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;

namespace Avatar.Worker.Consumers;

public sealed class PollSubmissionConsumer(
    AvatarDbContext db, SubmissionSteps steps, Schedule schedule, PollCapacity capacity, ILogger<PollSubmissionConsumer> logger)
    : IConsumer<PollSubmission>
{
    public async Task Consume(ConsumeContext<PollSubmission> context)
    {
        var (submissionId, claim) = context.Message;
        if (await context.HoldAsync<AvatarSubmission>(schedule, capacity, db, submissionId, claim) is not { } submission)
        {
            logger.LogDebug("Skipped a stale poll of submission {SubmissionId}", submissionId);
            return;
        }

        var outcome = await steps.AdvanceAsync(submission, context.CancellationToken);
        await context.CompletePollAsync(db, submission, outcome, logger);
    }
}
