using Avatar.Worker.Scheduling;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Avatar.Worker.Tests;

public sealed class DispatchWakeUpsTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly DispatchWakeUps wakeUps;

    public DispatchWakeUpsTests() =>
        wakeUps = new DispatchWakeUps(Options.Create(new PollingOptions { DispatchInterval = TimeSpan.FromMilliseconds(250) }), clock);

    [Fact]
    public void With_nothing_due_soon_the_dispatcher_looks_once_an_interval()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), wakeUps.NextWait());

        wakeUps.DueIn(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromMilliseconds(250), wakeUps.NextWait());
    }

    [Fact]
    public void A_poll_due_before_the_next_look_brings_the_look_forward_to_it()
    {
        wakeUps.DueIn(TimeSpan.FromMilliseconds(180));
        wakeUps.DueIn(TimeSpan.FromMilliseconds(120));

        Assert.Equal(TimeSpan.FromMilliseconds(120), wakeUps.NextWait());

        // That look serves the first moment; the next one is 60 ms on.
        clock.Advance(TimeSpan.FromMilliseconds(120));
        Assert.Equal(TimeSpan.FromMilliseconds(60), wakeUps.NextWait());

        clock.Advance(TimeSpan.FromMilliseconds(60));
        Assert.Equal(TimeSpan.FromMilliseconds(250), wakeUps.NextWait());
    }

    [Fact]
    public void Looks_stay_a_minimum_gap_apart_so_polls_due_together_share_one()
    {
        wakeUps.DueIn(TimeSpan.FromMilliseconds(10));
        wakeUps.DueIn(TimeSpan.FromMilliseconds(40));
        wakeUps.DueIn(TimeSpan.FromMilliseconds(90));

        // Both moments within the gap are served by the look that ends it; the third, 40 ms later, by the next gap's.
        Assert.Equal(DispatchWakeUps.MinimumGap, wakeUps.NextWait());
        clock.Advance(DispatchWakeUps.MinimumGap);
        Assert.Equal(DispatchWakeUps.MinimumGap, wakeUps.NextWait());
        clock.Advance(DispatchWakeUps.MinimumGap);
        Assert.Equal(TimeSpan.FromMilliseconds(250), wakeUps.NextWait());
    }

    [Fact]
    public void Moments_past_or_beyond_a_lease_are_not_kept()
    {
        wakeUps.DueIn(TimeSpan.FromMilliseconds(-5));
        wakeUps.DueIn(TimeSpan.Zero);
        wakeUps.DueIn(new PollingOptions().Lease);

        Assert.Equal(TimeSpan.FromMilliseconds(250), wakeUps.NextWait());
    }
}
