using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;
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
        var caller = Callers.Of(context);
        if (await db.Sessions.FindAsync([command.SessionId], context.CancellationToken) is { } existing)
        {
            await RepeatOrRefuseAsync(context, existing, fingerprint, caller);
            return;
        }

        if (CommandValidation.Validate(command, options.Value.AllowInsecureCallbackUrls) is { } problem)
        {
            logger.LogWarning("Rejected CreateAvatarSession {SessionId}: {Problem}", command.SessionId, problem);
            await context.PublishEndedAsync(new AvatarSessionFailed(command.SessionId, AvatarErrorCodes.InvalidRequest, problem), caller);
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        var session = AvatarSession.Open(
            command.SessionId, caller, command.CallbackUrl, command.ProjectName ?? options.Value.DefaultProjectName, fingerprint, schedule.Now);
        schedule.Claim(session, schedule.Now + options.Value.CreateTimeout);
        db.Sessions.Add(session);
        if (!await db.TryInsertAsync(context.CancellationToken))
        {
            // Another command with this id was inserted since the lookup above: a copy of this one, or a reuse.
            db.ChangeTracker.Clear();
            await RepeatOrRefuseAsync(context, await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == command.SessionId, context.CancellationToken), fingerprint, caller);
            return;
        }

        var outcome = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.SaveAndPublishAsync(db, session, outcome, logger);
    }

    /// <summary>
    /// A command for a session already stored: a copy of the one that created it, from the same caller, repeats its
    /// outcome (nothing while it is still being created: that command's own consumer or poll publishes it); any other
    /// command is refused.
    /// </summary>
    private async Task RepeatOrRefuseAsync(ConsumeContext<CreateAvatarSession> context, AvatarSession existing, string fingerprint, string? caller)
    {
        if (!Owners.Permits(existing.Owner, caller) || !CommandFingerprint.Matches(existing.CommandFingerprint, fingerprint))
        {
            logger.LogWarning("Refused CreateAvatarSession {SessionId}: the id was already used by a different command", existing.Id);
            await context.RefuseAsync(
                nameof(CreateAvatarSession), existing.Id, AvatarErrorCodes.IdReused, "sessionId was used by a different command; every session needs a new sessionId");
            return;
        }

        logger.LogInformation("Session {SessionId} already exists ({State}); not creating it again", existing.Id, existing.State);
        await context.PublishOutcomeAsync(existing);
    }
}
