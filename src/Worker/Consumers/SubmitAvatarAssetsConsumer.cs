using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Consumers;

public sealed class SubmitAvatarAssetsConsumer(
    AvatarDbContext db, SubmissionSteps steps, Schedule schedule, IOptions<WorkflowOptions> options, ILogger<SubmitAvatarAssetsConsumer> logger)
    : IConsumer<SubmitAvatarAssets>
{
    public async Task Consume(ConsumeContext<SubmitAvatarAssets> context)
    {
        var command = context.Message;
        if (CommandValidation.Validate(command, options.Value.AllowInsecureAssetUrls) is { } problem)
        {
            await RejectAsync(context, problem);
            return;
        }

        // A group another caller verified is rejected in the very words of an unknown one: nothing tells it exists.
        var caller = Callers.Of(context);
        var group = await VerifiedGroup.FindAsync(db, command.GroupId, context.CancellationToken);
        if (group is null ? !options.Value.AcceptUnknownGroups : !options.Value.Callers.MaySubmitTo(group.Owner, caller))
        {
            await RejectAsync(context, "groupId is not a group this worker verified for you; verify the person with CreateAvatarSession first");
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        var fingerprint = CommandFingerprint.Of(command);

        // The insert itself records that step 3 is about to be sent (see SubmissionSteps.SubmitAsync).
        var submission = AvatarSubmission.Open(
            command.SubmissionId,
            caller,
            command.GroupId,
            command.ProjectName ?? options.Value.DefaultProjectName,
            command.AssetType,
            command.Assets.Select(a => new SubmittedAsset { Url = a.Url, Name = a.Name }).ToList(),
            fingerprint,
            schedule.Now);
        schedule.Claim(submission, schedule.Now + options.Value.ReviewTimeout);

        // Inserted without looking first: a new id (nearly every command) costs one statement, and an id already
        // stored (a redelivery, a duplicate, a reused id) is found by its primary key.
        db.Submissions.Add(submission);
        if (!await db.TryInsertAsync(context.CancellationToken))
        {
            db.ChangeTracker.Clear();
            var existing = await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == command.SubmissionId, context.CancellationToken);
            if (!Owners.Permits(existing.Owner, caller) || !CommandFingerprint.Matches(existing.CommandFingerprint, fingerprint))
            {
                await RejectAsync(context, ReusedId);
                return;
            }

            // Nothing is published while the first copy is still working; its own consumer or poll will.
            logger.LogInformation("Submission {SubmissionId} already exists ({State}); not submitting it again", existing.Id, existing.State);
            await context.PublishOutcomeAsync(existing);
            return;
        }

        var outcome = await steps.SubmitAsync(submission, context.CancellationToken);
        await context.SaveAndPublishAsync(db, submission, outcome, logger);
    }

    private const string ReusedId = "submissionId was used by a different command; every submission needs a new submissionId";

    /// <summary>
    /// Refuses the command; nothing is stored or sent. For a new id that ends the submission, in
    /// <see cref="AvatarAssetsRejected"/> (<c>invalid_request</c>). For an id already stored it is a refusal, never an
    /// outcome of that submission, and names the reuse, the caller's real mistake (what was stored passed these checks,
    /// so this command differs from it). The event repeats only ids that passed validation.
    /// </summary>
    private async Task RejectAsync(ConsumeContext<SubmitAvatarAssets> context, string problem)
    {
        var command = context.Message;
        if (problem == ReusedId || await db.Submissions.AnyAsync(s => s.Id == command.SubmissionId, context.CancellationToken))
        {
            logger.LogWarning("Refused SubmitAvatarAssets {SubmissionId}: {Problem}", command.SubmissionId, ReusedId);
            await context.RefuseAsync(nameof(SubmitAvatarAssets), command.SubmissionId, AvatarErrorCodes.IdReused, ReusedId);
            return;
        }

        logger.LogWarning("Rejected SubmitAvatarAssets {SubmissionId}: {Problem}", command.SubmissionId, problem);
        await context.PublishEndedAsync(
            new AvatarAssetsRejected(command.SubmissionId, CommandValidation.EchoableGroupId(command), [], [], AvatarErrorCodes.InvalidRequest, problem),
            Callers.Of(context));
    }
}
