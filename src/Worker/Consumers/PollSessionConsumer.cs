using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;

namespace Avatar.Worker.Consumers;

public sealed class PollSessionConsumer(
    AvatarDbContext db, SessionSteps steps, Schedule schedule, PollCapacity capacity, ILogger<PollSessionConsumer> logger)
    : IConsumer<PollSession>
{
    public async Task Consume(ConsumeContext<PollSession> context)
    {
        var (sessionId, claim) = context.Message;
        if (await context.HoldAsync<AvatarSession>(schedule, capacity, db, sessionId, claim) is not { } session)
        {
            logger.LogDebug("Skipped a stale poll of session {SessionId}", sessionId);
            return;
        }

        var outcome = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.CompletePollAsync(db, session, outcome, logger);
    }
}
