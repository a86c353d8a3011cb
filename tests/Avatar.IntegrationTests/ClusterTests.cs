using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

/// <summary>
/// The worker on the three-node RabbitMQ cluster of <c>scripts/rabbitmq-cluster.sh</c>: quorum queues, and a node lost
/// while reviews are in flight. The run's PostgreSQL and simulator, its own database and virtual host.
/// </summary>
/// <remarks>
/// In its own category so that <c>AVATAR_CLUSTER_TESTS=0 ./test.sh</c> can leave it out. Killing the node the worker is
/// connected to, which leads the poll queue, is what makes RabbitMQ 3.10 refuse a reconnected channel's publishes
/// (see <c>RefusedPublishes</c>); the worker gets past it by reconnecting.
/// </remarks>
[Trait("Category", "Cluster")]
[Collection(ThirdAvatarCollection.Name)]
public sealed class ClusterTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Losing_the_node_that_leads_the_queues_loses_no_review_and_sends_no_submit_twice()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:06" });
        var cluster = await BrokerCluster.UpAsync("avatar-cluster-test");
        var services = Fixture.Services.OnCluster(cluster);
        var database = $"avatar_cluster_{Guid.NewGuid():N}";
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        var settings = Harness.WorkerSettings(services, connectionString, Simulator.BaseAddress, Fixture.ApiKey);
        foreach (var key in new[] { "Avatar:Polling:InitialDelay", "Avatar:Polling:MaxDelay", "Avatar:Polling:DispatchInterval", "XCompute:RequestTimeout" })
        {
            settings[key] = Fixture.WorkerSettings()[key];
        }

        var events = new EventLog();
        var stopped = 0;
        using var client = await Harness.StartOtherServicesAsync(services, events);
        await using var publisher = new CarefulPublisher(services);
        try
        {
            await using var worker = await WorkerInstance.StartAsync(settings, Fixture.Logs);

            // An unreadable command, so that MassTransit creates an _error queue too.
            await using (var connection = await services.ConnectAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                var properties = new RabbitMQ.Client.BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString() };
                await channel.BasicPublishAsync("create-avatar-session", "", mandatory: false, properties, "{ not json"u8.ToArray());
            }

            // Every queue the worker consumes, and its _error queue, is a quorum queue replicated on the three nodes.
            await WaitUntil(async () => (await QueuesAsync(cluster)).ContainsKey("create-avatar-session_error"), 20);
            var queues = await QueuesAsync(cluster);
            foreach (var queue in Avatar.Admin.Queues.WorkerQueues.Append("create-avatar-session_error"))
            {
                Assert.True(queues.TryGetValue(queue, out var line), $"no queue {queue} in: {string.Join(" | ", queues.Values)}");
                Assert.Contains("quorum", line);
                Assert.All(new[] { "avatar1@localhost", "avatar2@localhost", "avatar3@localhost" }, node => Assert.Contains(node, line));
            }

            var groupId = await Simulator.MintVerifiedGroupAsync(connectionString);
            var commands = Enumerable.Range(0, 6).Select(i => Submission(groupId, $"front-{i}", i % 3 == 0 ? $"side-reject-{i}" : $"side-{i}")).ToList();
            foreach (var command in commands.Take(4))
            {
                await publisher.PublishAsync(command);
            }

            await WaitUntil(async () => await CountInReviewAsync(settings["ConnectionStrings:Avatar"], commands.Take(4)) == 4, 30);

            // Lose the node that leads the poll queue (the worker's node, too) while the reviews are in flight.
            stopped = await cluster.LeaderOfAsync("poll-submission");
            await cluster.StopNodeAsync(stopped);

            // Callers keep publishing to the nodes that are left.
            foreach (var command in commands.Skip(4))
            {
                await publisher.PublishAsync(command);
            }

            foreach (var command in commands)
            {
                await events.WaitFor<object>(
                    e => e is AvatarAssetsApproved a && a.SubmissionId == command.SubmissionId || e is AvatarAssetsRejected r && r.SubmissionId == command.SubmissionId,
                    TimeSpan.FromSeconds(90));
            }

            var ids = commands.Select(c => c.SubmissionId).ToHashSet();
            var outcomes = events.All<object>(_ => true)
                .Select(e => e switch
                {
                    AvatarAssetsApproved a when ids.Contains(a.SubmissionId) => (a.SubmissionId, "approved"),
                    AvatarAssetsRejected r when ids.Contains(r.SubmissionId) => (r.SubmissionId, r.ErrorCode),
                    _ => default((Guid, string)?),
                })
                .OfType<(Guid Id, string Outcome)>()
                .GroupBy(o => o.Id)
                .ToList();
            Assert.Equal(6, outcomes.Count);
            Assert.All(outcomes, o => Assert.Single(o.Select(x => x.Outcome).Distinct()));
            Assert.Equal(4, outcomes.Count(o => o.First().Outcome == "approved"));
            Assert.Equal(6, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));

            // Nothing but the unreadable command went to _error.
            var errors = await cluster.CtlAsync("-q", "list_queues", "-p", cluster.VirtualHost, "name", "messages", "--no-table-headers");
            Assert.Matches(@"(?m)^create-avatar-session_error\s+1\s*$", errors);
            Assert.DoesNotMatch(@"(?m)^(?!create-avatar-session_error)\S+_error\s+[1-9]", errors);
        }
        finally
        {
            if (stopped != 0)
            {
                await cluster.StartNodeAsync(stopped);
            }

            await client.StopAsync();
            await Fixture.Services.DropDatabaseAsync(database);
        }
    }

    /// <summary>Each queue of the run's virtual host: its name, type and members, by name.</summary>
    private static async Task<Dictionary<string, string>> QueuesAsync(BrokerCluster cluster) =>
        (await cluster.CtlAsync("-q", "list_queues", "-p", cluster.VirtualHost, "name", "type", "members", "--no-table-headers"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l.Split(['\t', ' '], 2)[0], l => l);

    private static async Task<int> CountInReviewAsync(string connectionString, IEnumerable<SubmitAvatarAssets> commands)
    {
        var ids = commands.Select(c => c.SubmissionId).ToList();
        await using var db = AvatarDbContext.Open(connectionString);
        return await db.Submissions.CountAsync(s => ids.Contains(s.Id) && s.State == SubmissionState.InReview);
    }
}
