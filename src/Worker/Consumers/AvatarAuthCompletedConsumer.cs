using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Callback;
using Avatar.Worker.Messaging;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

public sealed class AvatarAuthCompletedConsumer(AvatarDbContext db, SessionSteps steps, Schedule schedule, ILogger<AvatarAuthCompletedConsumer> logger)
    : IConsumer<AvatarAuthCompleted>, IConsumer<H5CallbackReceived>
{
    public Task Consume(ConsumeContext<AvatarAuthCompleted> context) =>
        CompleteAsync(context, context.Message.SessionId, failedWith: null, Callers.Of(context));

    /// <summary>
    /// The worker's own callback receiver saw the person come back: exactly as <see cref="AvatarAuthCompleted"/> from the
    /// session's owner, or a failure.
    /// </summary>
    public Task Consume(ConsumeContext<H5CallbackReceived> context) =>
        CompleteAsync(context, context.Message.SessionId, context.Message.Passed ? null : context.Message.ResultCode, caller: null, fromReceiver: true);

    private async Task CompleteAsync(ConsumeContext context, Guid sessionId, string? failedWith, string? caller, bool fromReceiver = false)
    {
        var session = await db.Sessions.FindAsync([sessionId], context.CancellationToken);
        if (session is not null && !fromReceiver && !Owners.Permits(session.Owner, caller))
        {
            // Another caller's session is refused as unknown, in the same words: nothing tells it exists.
            session = null;
        }

        // A completion that does not fit the session is refused; the session, if any, ends in its own outcome.
        (string Code, string Reason)? refusal = session?.State switch
        {
            null => (AvatarErrorCodes.UnknownFlow, $"no session {sessionId} is known"),
            SessionState.Creating => (AvatarErrorCodes.FlowNotReady, $"session {sessionId} has no H5 link yet; wait for AvatarSessionCreated"),
            SessionState.CreationFailed => (AvatarErrorCodes.FlowEnded, $"session {sessionId} was never created ({session.ErrorCode})"),
            _ => null,
        };

        if (refusal is var (code, reason))
        {
            var command = failedWith is null ? nameof(AvatarAuthCompleted) : "H5Callback";
            logger.LogWarning("Refused {MessageType} {SessionId}: {Problem}", command, sessionId, reason);
            await context.RefuseAsync(command, sessionId, code, reason);
            return;
        }

        if (session!.State != SessionState.AwaitingVerification)
        {
            logger.LogInformation("Session {SessionId} is already {State}; not verifying it again", sessionId, session.State);
            await context.PublishOutcomeAsync(session);
            return;
        }

        await schedule.SyncAsync(context.CancellationToken);
        steps.StartVerification(session);
        // Claims the session: of two racing duplicates (or a racing expiry, or the callback), the second fails here on
        // the row's version, and the first one's outcome is this command's.
        if (!await db.TrySaveAsync(context.CancellationToken))
        {
            logger.LogInformation("Session {SessionId} changed while this command was applied (another copy, the callback, or its expiry)", sessionId);
            return;
        }

        if (failedWith is not null)
        {
            await context.SaveAndPublishAsync(db, session, steps.EndWithFailedPage(session, failedWith), logger);
            return;
        }

        var outcome = await steps.AdvanceAsync(session, context.CancellationToken);
        await context.SaveAndPublishAsync(db, session, outcome, logger);
    }
}
