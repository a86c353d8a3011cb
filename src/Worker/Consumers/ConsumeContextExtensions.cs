using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using Avatar.Worker.Telemetry;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

internal static class ConsumeContextExtensions
{
    /// <summary>
    /// Commits the step, then publishes the event its transition returned (null: none). With the in-memory outbox the
    /// event leaves only after the consumer succeeds; if the process dies in between, the redelivered message publishes
    /// it again from the row (<see cref="IScheduled.Outcome"/>).
    /// </summary>
    public static async Task SaveAndPublishAsync(this ConsumeContext context, AvatarDbContext db, IScheduled row, object? outcome, ILogger logger)
    {
        if (!await db.TrySaveAsync(context.CancellationToken))
        {
            // Someone else wrote the row since we read it (another instance after our lease ran out, an operator's
            // abandon, a command or the H5 callback): their result stands, ours is dropped, and so is its event.
            logger.LogWarning("Flow {FlowId} changed while this step worked on it; discarding this step's result", row.Id);
            return;
        }

        if (outcome is not null)
        {
            await context.PublishEndedAsync(outcome, row.Owner);
        }
    }

    /// <summary>Publishes the event that ends a flow (or refuses a command) for the first time, to its owner, and counts it.</summary>
    public static Task PublishEndedAsync(this ConsumeContext context, object outcome, string? owner)
    {
        context.GetServiceOrCreateInstance<AvatarMetrics>().Ended(outcome);
        return context.PublishEventAsync(outcome, owner);
    }

    /// <summary>
    /// Refuses a command that does not fit the flow it names, with <see cref="AvatarCommandRefused"/>: not an outcome,
    /// so the flow's own outcome stays the only one. Counted with the outcomes (<c>event="AvatarCommandRefused"</c>).
    /// It goes to the command's publisher, never to the flow's owner: nobody learns of another caller's attempts.
    /// </summary>
    public static Task RefuseAsync(this ConsumeContext context, string commandType, Guid flowId, string errorCode, string reason) =>
        context.PublishEndedAsync(new AvatarCommandRefused(commandType, flowId, context.MessageId, errorCode, reason), Callers.Of(context));

    /// <summary>Publishes the outcome the row's state justifies again (a copy of one already counted), if there is one, to the row's owner.</summary>
    public static Task PublishOutcomeAsync(this ConsumeContext context, IScheduled row) =>
        row.Outcome is { } outcome ? context.PublishEventAsync(outcome, row.Owner) : Task.CompletedTask;

    /// <summary>
    /// Every event a consumer publishes goes through here: routed to its owner (<see cref="EventRouting"/>), with the
    /// <see cref="PublishDeadline"/> of its message, so that an event RabbitMQ keeps refusing is given up rather than
    /// sent again for hours (<see cref="RefusedPublishes"/>).
    /// </summary>
    public static Task PublishEventAsync(this ConsumeContext context, object message, string? owner) =>
        context.Publish(message, EventRouting.To(owner), context.TryGetPayload<PublishDeadline>(out var deadline) ? deadline.Token : context.CancellationToken);

    /// <summary>Inserts a new row; false if its key is already stored (earlier, or by a copy of the command racing this one).</summary>
    public static async Task<bool> TryInsertAsync(this AvatarDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return false;
        }
    }
}
