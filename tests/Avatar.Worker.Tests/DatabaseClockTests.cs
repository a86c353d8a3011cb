using Avatar.Worker.Scheduling;

namespace Avatar.Worker.Tests;

public sealed class DatabaseClockTests
{
    private static readonly DateTimeOffset Local = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Database = Local.AddMinutes(-3);
    private readonly ManualClock clock = new() { Now = Local };

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
        clock.Now = Local.AddSeconds(12.5);

        Assert.Equal(Database.AddSeconds(12.5), databaseClock.Recent());
    }

    [Fact]
    public void A_reading_older_than_its_maximum_age_is_read_again()
    {
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(Database);
        clock.Now = Local + DatabaseClock.MaxAge + TimeSpan.FromMilliseconds(1);

        Assert.Null(databaseClock.Recent());
    }

    [Fact]
    public void A_local_clock_that_went_back_is_not_trusted()
    {
        var databaseClock = new DatabaseClock(clock);
        databaseClock.Remember(Database);
        clock.Now = Local.AddSeconds(-1);

        Assert.Null(databaseClock.Recent());
    }
}
