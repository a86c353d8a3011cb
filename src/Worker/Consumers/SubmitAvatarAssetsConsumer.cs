using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Consumers;

public sealed class SubmitAvatarAssetsConsumer(
    AvatarDbContext db, SubmissionSteps steps, Schedule schedule, IOptions<WorkflowOptions> options, ILogger<SubmitAvatarAssetsConsumer> logger)
    : IConsumer<SubmitAvatarAssets>
{
    public async Task Consume(ConsumeContext<SubmitAvatarAssets> context)
    {
        var command = context.Message;
        if (await db.Submissions.FindAsync([command.SubmissionId], context.CancellationToken) is { } existing)
        {
            logger.LogInformation("Submission {SubmissionId} already exists ({State}); not submitting it again", existing.Id, existing.State);
            await context.PublishOutcomeAsync(Outcomes.For(existing));
            return;
        }

        if (CommandValidation.Validate(command) is { } problem)
        {
            logger.LogWarning("Rejected SubmitAvatarAssets {SubmissionId}: {Problem}", command.SubmissionId, problem);
            await context.Publish(
                new AvatarAssetsRejected(command.SubmissionId, command.GroupId ?? "", [], [], AvatarErrorCodes.InvalidRequest, problem),
                context.CancellationToken);
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        var submission = new AvatarSubmission
        {
            Id = command.SubmissionId,
            GroupId = command.GroupId,
            ProjectName = command.ProjectName ?? options.Value.DefaultProjectName,
            AssetType = command.AssetType,
            Assets = command.Assets.Select(a => new SubmittedAsset { Url = a.Url, Name = a.Name }).ToList(),
            State = SubmissionState.Pending,
            CreatedAt = schedule.Now,
        };
        schedule.Claim(submission, schedule.Now + options.Value.ReviewTimeout);
        db.Submissions.Add(submission);
        if (!await db.TryInsertAsync(context.CancellationToken))
        {
            logger.LogInformation("Submission {SubmissionId} is already being submitted by another consumer", command.SubmissionId);
            return;
        }

        var changed = await steps.AdvanceAsync(submission, context.CancellationToken);
        await context.SaveAndPublishAsync(db, changed ? () => Outcomes.For(submission) : null, logger);
    }
}
