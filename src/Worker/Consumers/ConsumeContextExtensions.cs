using Avatar.Persistence;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

internal static class ConsumeContextExtensions
{
    /// <summary>
    /// Commits the step, then publishes the event it justifies. With the in-memory outbox the event leaves only after
    /// the consumer succeeds; if the process dies in between, the redelivered message publishes it again from the row.
    /// </summary>
    public static async Task SaveAndPublishAsync(this ConsumeContext context, AvatarDbContext db, object? outcome, ILogger logger)
    {
        try
        {
            await db.SaveChangesAsync(context.CancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone else claimed the row meanwhile (our lease ran out); their result stands, ours is dropped.
            logger.LogWarning("Lost the claim on a row while working on it; discarding this step's result");
            return;
        }

        await context.PublishOutcomeAsync(outcome);
    }

    /// <summary>
    /// Holds the claim a poll message carries and loads its row, or returns null when the claim is stale. A stale
    /// claim that finished its row is a redelivery after the step was stored, whose event may not have left yet:
    /// that event is published again.
    /// </summary>
    public static async Task<TRow?> HoldAsync<TRow>(
        this ConsumeContext context, AvatarDbContext db, Guid id, Guid leaseToken, Schedule schedule, Func<TRow, object?> outcome)
        where TRow : class, IPolled
    {
        var rows = db.Set<TRow>();
        if (await rows.TryHoldAsync(id, leaseToken, schedule.Now, schedule.Lease, context.CancellationToken))
        {
            return await rows.SingleAsync(r => r.Id == id, context.CancellationToken);
        }

        var row = await rows.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, context.CancellationToken);
        if (row is { NextPollAt: null } && row.LeaseToken == leaseToken)
        {
            await context.PublishOutcomeAsync(outcome(row));
        }

        return null;
    }

    public static Task PublishOutcomeAsync(this ConsumeContext context, object? outcome) =>
        outcome is null ? Task.CompletedTask : context.Publish(outcome, context.CancellationToken);

    /// <summary>Inserts a new row; false if another consumer inserted the same key first.</summary>
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
