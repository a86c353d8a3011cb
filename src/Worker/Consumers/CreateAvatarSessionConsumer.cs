using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Consumers;

public sealed class CreateAvatarSessionConsumer(
    AvatarDbContext db, SessionSteps steps, Schedule schedule, IOptions<WorkflowOptions> options, ILogger<CreateAvatarSessionConsumer> logger)
    : IConsumer<CreateAvatarSession>
{
    public async Task Consume(ConsumeContext<CreateAvatarSession> context)
    {
        var command = context.Message;
        var fingerprint = CommandFingerprint.Of(command);
        if (await db.Sessions.FindAsync([command.SessionId], context.CancellationToken) is { } existing)
        {
            if (!CommandFingerprint.Matches(existing.CommandFingerprint, fingerprint))
            {
                logger.LogWarning("Rejected CreateAvatarSession {SessionId}: the id was already used by a different command", command.SessionId);
                await context.RefuseAsync(
                    nameof(CreateAvatarSession), command.SessionId, AvatarErrorCodes.IdReused, "sessionId was used by a different command; every session needs a new sessionId");
                return;
            }

            logger.LogInformation("Session {SessionId} already exists ({State}); not creating it again", existing.Id, existing.State);
            await context.PublishOutcomeAsync(existing.Outcome);
            return;
        }

        if (CommandValidation.Validate(command, options.Value.AllowInsecureCallbackUrls) is { } problem)
        {
            logger.LogWarning("Rejected CreateAvatarSession {SessionId}: {Problem}", command.SessionId, problem);
            await context.PublishEndedAsync(new AvatarSessionFailed(command.SessionId, AvatarErrorCodes.InvalidRequest, problem));
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        var session = AvatarSession.Open(
            command.SessionId, command.CallbackUrl, command.ProjectName ?? options.Value.DefaultProjectName, fingerprint, schedule.Now);
        schedule.Claim(session, schedule.Now + options.Value.CreateTimeout);
        db.Sessions.Add(session);
        if (!await db.TryInsertAsync(context.CancellationToken))
        {
            logger.LogInformation("Session {SessionId} is already being created by another consumer", command.SessionId);
            return;
        }

        var outcome = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.SaveAndPublishAsync(db, outcome, logger);
    }
}
