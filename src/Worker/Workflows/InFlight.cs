using Avatar.Persistence;
using Avatar.Worker.Scheduling;

namespace Avatar.Worker.Workflows;

internal static class InFlight
{
    /// <summary>
    /// Commits that a call which must not be repeated (step 2 spends a single-use token, step 3 starts a billed review)
    /// is about to be sent. Whoever later finds the row still in that state knows the call's outcome is unknown, and
    /// ends the row rather than sending it again.
    /// </summary>
    public static Task RecordInFlightAsync(this AvatarDbContext db, IScheduled row, Schedule schedule, CancellationToken cancellationToken)
    {
        row.UpdatedAt = schedule.Now;
        return db.SaveChangesAsync(cancellationToken);
    }
}
