namespace Avatar.Worker.Scheduling;

/// <summary>
/// The database's clock as this process last read it (<c>SELECT now()</c>), run on by the process's own clock. Shared by
/// every message of the process, so a command reads <c>now()</c> only when the last reading is older than
/// <see cref="MaxAge"/>: under load the database's time costs no statement, and the drift between two clocks over
/// 30 s (parts per million) stays far below anything the schedule measures. The time since the reading is taken from the
/// monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), so a step of this machine's wall clock moves nothing.
/// </summary>
public sealed class DatabaseClock(TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private Reading? last;

    /// <summary>The database's time now, or null when there is no reading younger than <see cref="MaxAge"/>.</summary>
    public DateTimeOffset? Recent()
    {
        if (Volatile.Read(ref last) is not { } reading)
        {
            return null;
        }

        var elapsed = clock.GetElapsedTime(reading.TakenAt);
        return elapsed <= MaxAge ? reading.DatabaseTime + elapsed : null;
    }

    /// <summary>
    /// Keeps <paramref name="databaseTime"/>, read from the database by a statement sent at <paramref name="askedAt"/>
    /// (this process's <see cref="TimeProvider.GetTimestamp"/>; now when not given), and returns what the database's
    /// time is now. PostgreSQL's <c>now()</c> is when the statement's transaction began, so the reading is dated from
    /// when it was asked for: dated from the answer, it would lag by however long the answer took to come back and this
    /// process to resume (a second and more on a busy machine), and every poll would fall due that much early.
    /// </summary>
    public DateTimeOffset Remember(DateTimeOffset databaseTime, long? askedAt = null)
    {
        var reading = new Reading(databaseTime, askedAt ?? clock.GetTimestamp());
        Volatile.Write(ref last, reading);
        return databaseTime + clock.GetElapsedTime(reading.TakenAt);
    }

    private sealed record Reading(DateTimeOffset DatabaseTime, long TakenAt);
}
