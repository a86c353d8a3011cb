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
        var fingerprint = CommandFingerprint.Of(command);
        if (await db.Submissions.FindAsync([command.SubmissionId], context.CancellationToken) is { } existing)
        {
            if (!CommandFingerprint.Matches(existing.CommandFingerprint, fingerprint))
            {
                logger.LogWarning("Rejected SubmitAvatarAssets {SubmissionId}: the id was already used by a different command", command.SubmissionId);
                await RejectAsync(context, "submissionId was reused with different content; every submission needs a new submissionId");
                return;
            }

            logger.LogInformation("Submission {SubmissionId} already exists ({State}); not submitting it again", existing.Id, existing.State);
            await context.PublishOutcomeAsync(Outcomes.For(existing));
            return;
        }

        if (CommandValidation.Validate(command) is { } problem)
        {
            logger.LogWarning("Rejected SubmitAvatarAssets {SubmissionId}: {Problem}", command.SubmissionId, problem);
            await RejectAsync(context, problem);
            return;
        }

        if (!options.Value.AcceptUnknownGroups && !await VerifiedGroup.IsKnownAsync(db, command.GroupId, context.CancellationToken))
        {
            logger.LogWarning("Rejected SubmitAvatarAssets {SubmissionId}: group {GroupId} was not verified by this worker", command.SubmissionId, command.GroupId);
            await RejectAsync(context, "groupId is not a group this worker verified; verify the person with CreateAvatarSession first");
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
            CommandFingerprint = fingerprint,
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

    /// <summary>Refuses the command before anything is stored or sent; the event repeats only ids that passed validation.</summary>
    private static Task RejectAsync(ConsumeContext<SubmitAvatarAssets> context, string problem) =>
        context.Publish(
            new AvatarAssetsRejected(
                context.Message.SubmissionId, CommandValidation.EchoableGroupId(context.Message), [], [], AvatarErrorCodes.InvalidRequest, problem),
            context.CancellationToken);
}
