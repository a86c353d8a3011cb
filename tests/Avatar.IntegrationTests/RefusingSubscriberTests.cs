using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

/// <summary>
/// One subscriber's queue refuses everything (<c>x-max-length=0, x-overflow=reject-publish</c>, bound to every event
/// exchange), so RabbitMQ refuses (<c>basic.nack</c>) every event the worker publishes, although it delivered each to
/// every other bound queue. The worker keeps serving the others, does not loop, and parks nothing in <c>_error</c>.
/// </summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class RefusingSubscriberTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private const string RefusingQueue = "refusing-subscriber";

    private static readonly Type[] Events_ =
        [typeof(AvatarSessionCreated), typeof(AvatarSessionFailed), typeof(AvatarAuthVerified), typeof(AvatarAuthFailed), typeof(AvatarAssetsApproved), typeof(AvatarAssetsRejected)];

    [Fact]
    public async Task A_subscriber_queue_that_refuses_every_event_costs_the_other_subscribers_nothing()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 5).Select(i => Submission(groupId, $"front-{i}")).ToList();
        var sessionId = Guid.NewGuid();
        var errorsBefore = await ErrorCountAsync();
        var reconnectsBefore = Reconnects();

        await using var connection = await Fixture.Services.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(RefusingQueue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-max-length"] = 0,
            ["x-overflow"] = "reject-publish",
        });
        try
        {
            foreach (var type in Events_)
            {
                await channel.ExchangeDeclareAsync(AvatarEvents.ExchangeOf(type), AvatarEvents.ExchangeType, durable: true);
                await channel.QueueBindAsync(RefusingQueue, AvatarEvents.ExchangeOf(type), routingKey: "#");
            }

            // A short patience, so the test sees the giving up soon.
            var patience = TimeSpan.FromSeconds(8);
            await Fixture.WithWorkerAsync(new Dictionary<string, string> { ["Messaging:RefusalPatience"] = patience.ToString() }, async worker =>
            {
                var started = DateTimeOffset.UtcNow;
                await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
                await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

                // Every other subscriber (this test's) gets every outcome, about as fast as without the refusing queue:
                // RabbitMQ delivered the first copy to every queue that accepts it.
                foreach (var submission in submissions)
                {
                    await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(30));
                }

                await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId, TimeSpan.FromSeconds(30));
                var elapsed = DateTimeOffset.UtcNow - started;
                Assert.True(elapsed < TimeSpan.FromSeconds(20), $"the outcomes took {elapsed.TotalSeconds:0} s");

                // The worker does not loop: once the patience ran out, no event comes again, each came a few times at
                // most, and the connection was never recycled for a queue that is not the worker's.
                await Task.Delay(patience + TimeSpan.FromSeconds(10));
                var copies = Copies();
                await Task.Delay(TimeSpan.FromSeconds(15));
                Assert.Equal(copies, Copies());
                Assert.All(submissions, s => Assert.InRange(Events.All<AvatarAssetsApproved>(e => e.SubmissionId == s.SubmissionId).Count, 1, 5));
                Assert.Equal(0, Reconnects() - reconnectsBefore);
                Assert.Equal(errorsBefore, await ErrorCountAsync());

                using var http = new HttpClient { BaseAddress = worker.BaseAddress };
                var metrics = await http.GetStringAsync("/metrics");
                Assert.Contains(metrics.Split('\n'), l => l.StartsWith("avatar_events_undelivered_total{", StringComparison.Ordinal) && l.Contains("event=\"AvatarAssetsApproved\"", StringComparison.Ordinal));
            });
        }
        finally
        {
            await channel.QueueDeleteAsync(RefusingQueue);
        }

        int Copies() =>
            Events.All<AvatarAssetsApproved>(e => submissions.Any(s => s.SubmissionId == e.SubmissionId)).Count
            + Events.All<AvatarSessionCreated>(e => e.SessionId == sessionId).Count;
    }

    private int Reconnects() => Fixture.Logs.Lines.Count(l => l.Contains("reconnecting so that", StringComparison.Ordinal));
}
