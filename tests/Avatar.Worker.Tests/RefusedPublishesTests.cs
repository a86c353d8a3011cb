using Avatar.Worker.Messaging;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Avatar.Worker.Tests;

/// <summary>
/// Refused messages: a refused send to the worker's own queues reconnects at once, then less and less often while
/// refusals go on, never more than the cap apart; a refused event is given up once its patience runs out, and its type
/// at once from then on, until RabbitMQ accepts one again.
/// </summary>
public sealed class RefusedPublishesTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

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
    public async Task An_event_type_given_up_once_is_given_up_at_its_first_refusal_until_RabbitMQ_accepts_one()
    {
        var refused = Observer();
        Assert.Equal(new MessagingOptions().RefusalPatience, refused.PatienceFor(typeof(string)));

        using (var deadline = refused.Watch(CancellationToken.None))
        {
            deadline.Refused(typeof(string), refused.PatienceFor(typeof(string)));
            refused.GaveUp(deadline);
        }

        Assert.Equal(TimeSpan.Zero, refused.PatienceFor(typeof(string)));
        Assert.Equal(new MessagingOptions().RefusalPatience, refused.PatienceFor(typeof(int)));
        await refused.PostPublish<string>(null!);
        Assert.Equal(new MessagingOptions().RefusalPatience, refused.PatienceFor(typeof(string)));
    }

    [Fact]
    public void A_deadline_gives_up_once_its_patience_has_run_out_and_a_later_refusal_only_shortens_it()
    {
        var refused = Observer();
        using var deadline = refused.Watch(CancellationToken.None);
        Assert.False(deadline.GaveUp);
        deadline.Refused(typeof(string), TimeSpan.FromHours(1));
        Assert.False(deadline.GaveUp);
        deadline.Refused(typeof(string), TimeSpan.FromHours(2));
        Assert.False(deadline.GaveUp);
        deadline.Refused(typeof(int), TimeSpan.Zero);
        Assert.True(deadline.GaveUp);
        Assert.Equal([typeof(int), typeof(string)], deadline.RefusedTypes.OrderBy(t => t.Name));
    }

    private RefusedPublishes Observer()
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new RefusedPublishes(
            new ServiceCollection().BuildServiceProvider(), new AvatarMetrics(meters), clock, Options.Create(new MessagingOptions()), NullLogger<RefusedPublishes>.Instance);
    }
}
