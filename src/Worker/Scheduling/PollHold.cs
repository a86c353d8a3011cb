using Avatar.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Scheduling;

internal static class PollHold
{
    /// <summary>
    /// Holds the claim a poll message carries and loads its row, or returns null when the message is stale. A stale
    /// message is a duplicate, a redelivery, or a claim that lapsed; if its row has an event to show for its state (a
    /// step stored, then the process died before the event left), that event is published again.
    /// </summary>
    public static async Task<TRow?> HoldAsync<TRow>(
        this ConsumeContext context, Schedule schedule, PollCapacity capacity, AvatarDbContext db, Guid id, Guid claim, Func<TRow, object?> outcome)
        where TRow : class, IScheduled
    {
        capacity.Started();
        if (await schedule.HoldAsync<TRow>(id, claim, context.CancellationToken) is { } row)
        {
            return row;
        }

        if (await db.Set<TRow>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, context.CancellationToken) is { } stale
            && outcome(stale) is { } again)
        {
            await context.Publish(again, context.CancellationToken);
        }

        return null;
    }
}
