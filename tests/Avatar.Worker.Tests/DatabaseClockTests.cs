using Avatar.Worker.Scheduling;

namespace Avatar.Worker.Tests;

public sealed class DatabaseClockTests
{
    private static readonly DateTimeOffset Local = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Database = Local.AddMinutes(-3);
    private readonly SteppingClock clock = new(Local);

    [Fact]
    public void Nothing_is_known_before_the_first_reading()
    {
        Assert.Null(new DatabaseClock(clock).Recent());
    }

    [Fact]
    public void A_reading_runs_on_with_the_local_clock()
    {
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(Database);
        clock.Advance(TimeSpan.FromSeconds(12.5));

        Assert.Equal(Database.AddSeconds(12.5), databaseClock.Recent());
    }

    [Fact]
    public void A_reading_is_dated_from_when_it_was_asked_for_not_from_its_answer()
    {
        // now() is when the statement's transaction began; the answer came back 1.5 s later (a busy process).
        var databaseClock = new DatabaseClock(clock);
        var asked = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromSeconds(1.5));

        Assert.Equal(Database.AddSeconds(1.5), databaseClock.Remember(Database, asked));
        Assert.Equal(Database.AddSeconds(1.5), databaseClock.Recent());
    }

    [Fact]
    public void A_reading_older_than_its_maximum_age_is_read_again()
    {
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(Database);
        clock.Advance(DatabaseClock.MaxAge + TimeSpan.FromMilliseconds(1));

        Assert.Null(databaseClock.Recent());
    }

    [Theory]
    [InlineData(-3600)]
    [InlineData(3600)]
    public void A_step_of_the_local_wall_clock_moves_neither_the_database_s_time_nor_the_reading_s_age(int stepSeconds)
    {
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(Database);
        clock.StepWallClock(TimeSpan.FromSeconds(stepSeconds));
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(Database.AddSeconds(2), databaseClock.Recent());
    }
}
