using Avatar.Worker.Messaging;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Avatar.Worker.Tests;

/// <summary>Reconnecting after refused publishes: at once, then less and less often while refusals go on, never more than the cap apart.</summary>
public sealed class RefusedPublishesTests
{
    private readonly SteppingClock clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Refusals_that_go_on_reconnect_at_once_then_after_pauses_that_double_up_to_the_cap()
    {
        var refused = Observer();
        var reconnects = new List<double>();

        // One refusal a second for an hour, as a subscriber's queue that refuses everything causes.
        for (var second = 0; second < 3600; second++)
        {
            if (refused.TryStartReconnect(clock.GetTimestamp(), out _))
            {
                reconnects.Add(second);
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([0, 5, 15, 35, 75, 155, 315, 615, 915, 1215, 1515, 1815, 2115, 2415, 2715, 3015, 3315], reconnects);
    }

    [Fact]
    public void A_refusal_long_after_the_last_starts_again_at_the_first_pause()
    {
        var refused = Observer();
        for (var second = 0; second < 100; second++)
        {
            refused.TryStartReconnect(clock.GetTimestamp(), out _);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        clock.Advance(TimeSpan.FromHours(1));
        Assert.True(refused.TryStartReconnect(clock.GetTimestamp(), out var next));
        Assert.Equal(RefusedPublishes.FirstPause, next);
    }

    private RefusedPublishes Observer()
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new RefusedPublishes(new ServiceCollection().BuildServiceProvider(), new AvatarMetrics(meters), clock, NullLogger<RefusedPublishes>.Instance);
    }
}
