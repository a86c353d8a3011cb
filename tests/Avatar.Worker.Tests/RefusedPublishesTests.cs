using Avatar.Worker.Messaging;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>
/// Refused publishes: reconnecting at once, then less and less often while refusals go on, never more than the cap
/// apart; a message type still refused after a reconnect is refused for good until RabbitMQ accepts it again.
/// </summary>
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

    [Fact]
    public void A_type_refused_again_after_two_reconnects_is_refused_for_good()
    {
        var refused = Observer();
        Assert.Equal((true, false), refused.Refused(typeof(string), clock.GetTimestamp(), out _));
        refused.ReconnectDone();

        // MassTransit sends it again some seconds later, on a new channel, while the election may still go on.
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal((false, false), refused.Refused(typeof(string), clock.GetTimestamp(), out _));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((true, false), refused.Refused(typeof(string), clock.GetTimestamp(), out _));
        refused.ReconnectDone();
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal((false, true), refused.Refused(typeof(string), clock.GetTimestamp(), out _));

        // Reconnecting goes on with the backoff, for a channel that a quorum queue's return may leave refusing.
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal((true, true), refused.Refused(typeof(string), clock.GetTimestamp(), out _));
    }

    [Fact]
    public void Reconnects_started_before_a_type_was_first_refused_do_not_count_for_it()
    {
        var refused = Observer();
        Assert.Equal((true, false), refused.Refused(typeof(string), clock.GetTimestamp(), out _));

        // Another type's first refusal comes while that reconnect is under way.
        Assert.Equal((false, false), refused.Refused(typeof(int), clock.GetTimestamp(), out _));
        refused.ReconnectDone();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((true, false), refused.Refused(typeof(int), clock.GetTimestamp(), out _));
        refused.ReconnectDone();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((false, false), refused.Refused(typeof(int), clock.GetTimestamp(), out _));
        Assert.Equal((false, true), refused.Refused(typeof(string), clock.GetTimestamp(), out _));
    }

    [Fact]
    public async Task A_type_accepted_again_is_no_longer_refused_for_good()
    {
        var refused = Observer();
        for (var i = 0; i < 3; i++)
        {
            refused.Refused(typeof(string), clock.GetTimestamp(), out _);
            refused.ReconnectDone();
            clock.Advance(TimeSpan.FromMinutes(10));
        }

        Assert.True(refused.Refused(typeof(string), clock.GetTimestamp(), out _).ForGood);
        await refused.PostSend<string>(null!);
        Assert.False(refused.Refused(typeof(string), clock.GetTimestamp(), out _).ForGood);
    }

    private RefusedPublishes Observer()
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new RefusedPublishes(
            new ServiceCollection().BuildServiceProvider(), new AvatarMetrics(meters), clock, Options.Create(new MessagingOptions()), NullLogger<RefusedPublishes>.Instance);
    }
}
