using Avatar.Persistence;
using Avatar.Worker.Polling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

public sealed class PollSessionConsumer(AvatarDbContext db, SessionSteps steps, Schedule schedule, ILogger<PollSessionConsumer> logger)
    : IConsumer<PollSession>
{
    public async Task Consume(ConsumeContext<PollSession> context)
    {
        var (sessionId, lease) = context.Message;
        if (!await db.Sessions.TryHoldAsync(sessionId, lease, schedule.Now, schedule.Lease, context.CancellationToken))
        {
            // A stale claim, or a redelivery after the step was stored: then the event may not have left yet.
            var row = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, context.CancellationToken);
            if (row is { NextPollAt: null } && row.LeaseToken == lease)
            {
                await context.PublishOutcomeAsync(Outcomes.For(row));
            }

            logger.LogDebug("Skipped a stale poll of session {SessionId}", sessionId);
            return;
        }

        var session = await db.Sessions.SingleAsync(s => s.Id == sessionId, context.CancellationToken);
        var outcome = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.SaveAndPublishAsync(db, outcome, logger);
    }
}
