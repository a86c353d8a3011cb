using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Telemetry;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

internal static class PollHold
{
    /// <summary>
    /// Holds the claim a poll message carries and loads its row, or returns null when the message is stale. A stale
    /// message is a duplicate, a redelivery, or a claim that lapsed; if its row has an event to show for its state (a
    /// step stored, then the process died before the event left), that event is published again.
    /// </summary>
    public static async Task<TRow?> HoldAsync<TRow>(
        this ConsumeContext context, Schedule schedule, PollCapacity capacity, AvatarDbContext db, Guid id, Guid claim)
        where TRow : class, IScheduled
    {
        capacity.Started();
        if (await schedule.HoldAsync<TRow>(id, claim, context.CancellationToken) is { } row)
        {
            return row;
        }

        context.GetServiceOrCreateInstance<AvatarMetrics>().Polled(db.TableName<TRow>(), "stale");
        if (await db.Set<TRow>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, context.CancellationToken) is { } stale
            && stale.Outcome is { } again)
        {
            await context.PublishOutcomeAsync(stale);
        }

        return null;
    }

    /// <summary>Stores the step a held poll took, publishes the event its transition returned, and counts the poll.</summary>
    public static async Task CompletePollAsync<TRow>(this ConsumeContext context, AvatarDbContext db, TRow row, object? outcome, ILogger logger)
        where TRow : class, IScheduled
    {
        await context.SaveAndPublishAsync(db, row, outcome, logger);
        context.GetServiceOrCreateInstance<AvatarMetrics>().Polled(db.TableName<TRow>(), row.Schedule.IsFinished ? "ended" : "waiting");
    }
}
