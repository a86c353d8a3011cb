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
        if (await db.Sessions.FindAsync([command.SessionId], context.CancellationToken) is { } existing)
        {
            logger.LogInformation("Session {SessionId} already exists ({State}); not creating it again", existing.Id, existing.State);
            await context.PublishOutcomeAsync(Outcomes.For(existing));
            return;
        }

        if (CommandValidation.Validate(command) is { } problem)
        {
            logger.LogWarning("Rejected CreateAvatarSession {SessionId}: {Problem}", command.SessionId, problem);
            await context.PublishEndedAsync(new AvatarSessionFailed(command.SessionId, AvatarErrorCodes.InvalidRequest, problem));
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        var session = new AvatarSession
        {
            Id = command.SessionId,
            CallbackUrl = command.CallbackUrl,
            ProjectName = command.ProjectName ?? options.Value.DefaultProjectName,
            State = SessionState.Creating,
            CreatedAt = schedule.Now,
        };
        schedule.Claim(session, schedule.Now + options.Value.CreateTimeout);
        db.Sessions.Add(session);
        if (!await db.TryInsertAsync(context.CancellationToken))
        {
            logger.LogInformation("Session {SessionId} is already being created by another consumer", command.SessionId);
            return;
        }

        var changed = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.SaveAndPublishAsync(db, changed ? () => Outcomes.For(session) : null, logger);
    }
}
