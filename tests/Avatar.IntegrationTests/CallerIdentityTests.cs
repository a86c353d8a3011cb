using System.Security.Cryptography;
using System.Text;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

/// <summary>
/// Two callers, each with its own RabbitMQ user (<c>scripts/rabbitmq-users.sh caller</c>), and the worker with its own,
/// on a virtual host and database of their own. A caller is the user that published the command (the AMQP
/// <c>user-id</c>, which RabbitMQ checks): only it acts on its flows, and nothing tells another caller they exist.
/// </summary>
[Collection(AvatarCollection.Name)]
public sealed class CallerIdentityTests(AvatarFixture fixture, CallerIdentityTests.TwoCallersWorld shared) : AvatarTest(fixture), IClassFixture<CallerIdentityTests.TwoCallersWorld>
{
    private const string WorkerUser = "avatar-worker-ids";
    private const string CallerA = "caller-a-ids";
    private const string CallerB = "caller-b-ids";

    [Fact]
    public async Task Only_the_caller_that_opened_a_flow_acts_on_it_and_the_broker_vouches_for_who_that_is()
    {
        var world = await shared.GetAsync(Fixture);
        var (busA, busB, eventsA, eventsB, asA, asB) = (world.BusA, world.BusB, world.EventsA, world.EventsB, world.AsA, world.AsB);

        // A opens a session and the person passes the page.
        var sessionId = Guid.NewGuid();
        await busA.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));
        var created = await eventsA.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
        await Simulator.CompleteH5Async(created.H5Link);

        // B's completion of A's session is refused exactly as one for a session nobody knows, and spends no token.
        var nobodys = Guid.NewGuid();
        await busB.Publish(new AvatarAuthCompleted(nobodys));
        await busB.Publish(new AvatarAuthCompleted(sessionId));
        var unknown = await eventsB.WaitFor<AvatarCommandRefused>(e => e.FlowId == nobodys);
        var foreign = await eventsB.WaitFor<AvatarCommandRefused>(e => e.FlowId == sessionId);
        Assert.Equal((AvatarErrorCodes.UnknownFlow, unknown.Reason.Replace(nobodys.ToString(), sessionId.ToString())), (foreign.ErrorCode, foreign.Reason));
        Assert.Equal(0, await VerificationQueriesAsync(sessionId));

        // B asking where A's session stands hears what it would for an id nobody used; A hears the link.
        var asked = await world.StatusB.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(sessionId));
        Assert.True(asked.Is(out Response<AvatarStatusNotFound>? _), $"B was answered {asked.Message}");
        asked = await world.StatusA.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(sessionId));
        Assert.True(asked.Is(out Response<AvatarStatus>? status) && status.Message.SessionCreated?.H5Link == created.H5Link, $"A was answered {asked.Message}");

        // A's own completion verifies the person.
        await busA.Publish(new AvatarAuthCompleted(sessionId));
        var groupId = (await eventsA.WaitFor<AvatarAuthVerified>(e => e.SessionId == sessionId)).GroupId;

        // B's submission to A's group is rejected in the words of one to a group nobody verified; nothing is sent.
        var toNobodys = Submission($"group-nobody-{Guid.NewGuid():N}", "front");
        var toAs = Submission(groupId, "front");
        await busB.Publish(toNobodys);
        await busB.Publish(toAs);
        var unknownGroup = await eventsB.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == toNobodys.SubmissionId);
        var foreignGroup = await eventsB.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == toAs.SubmissionId);
        Assert.Equal((unknownGroup.ErrorCode, unknownGroup.Reason), (foreignGroup.ErrorCode, foreignGroup.Reason));
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));

        // A submits; B repeating A's very command (same ids, same content) is refused, not taken for a copy.
        var mine = Submission(groupId, "front");
        await busA.Publish(mine);
        await eventsA.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == mine.SubmissionId);
        await busB.Publish(mine);
        await busB.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));
        Assert.Equal(AvatarErrorCodes.IdReused, (await eventsB.WaitFor<AvatarCommandRefused>(e => e.FlowId == mine.SubmissionId)).ErrorCode);
        Assert.Equal(AvatarErrorCodes.IdReused, (await eventsB.WaitFor<AvatarCommandRefused>(e => e.FlowId == sessionId && e.CommandType == nameof(CreateAvatarSession))).ErrorCode);
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));

        // B cannot claim to be A: RabbitMQ closes the channel of a publish whose user-id is not its connection's user.
        await using (var connection = await asB.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var forged = new BasicProperties { ContentType = "application/vnd.masstransit+json", UserId = CallerA };
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await channel.BasicPublishAsync(
                $"Avatar.Contracts:{nameof(AvatarAuthCompleted)}", "", mandatory: false, forged, Envelope(nameof(AvatarAuthCompleted), $$"""{"sessionId":"{{Guid.NewGuid()}}"}""")));
            Assert.Contains("PRECONDITION_FAILED", refused.ToString());
        }

        // A command without any user-id is refused by the worker, which names the refused message.
        var anonymous = Guid.NewGuid();
        var messageId = Guid.NewGuid();
        await using (var connection = await asA.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId.ToString() };
            await channel.BasicPublishAsync($"Avatar.Contracts:{nameof(CreateAvatarSession)}", "", mandatory: false, properties,
                Envelope(nameof(CreateAvatarSession), $$"""{"sessionId":"{{anonymous}}","callbackUrl":"{{CallbackFor(anonymous)}}"}""", messageId));
        }

        // It has no owner to route to: only a binding of every key (an operator's) receives it.
        var unidentified = await world.Operator.WaitFor<AvatarCommandRefused>(e => e.FlowId == anonymous);
        Assert.Empty(eventsA.All<AvatarCommandRefused>(e => e.FlowId == anonymous));
        Assert.Equal((AvatarErrorCodes.UnidentifiedCaller, messageId), (unidentified.ErrorCode, unidentified.MessageId));
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(anonymous)}"));
    }

    [Fact]
    public async Task Each_caller_receives_its_own_flows_events_only_and_a_refusing_queue_refuses_only_its_owners()
    {
        var world = await shared.GetAsync(Fixture);
        var (busA, busB, eventsA, eventsB) = (world.BusA, world.BusB, world.EventsA, world.EventsB);

        // B cannot bind to A's events, nor to everyone's, neither a queue nor an exchange of its own.
        await using (var connection = await world.AsB.ConnectAsync())
        {
            foreach (var key in new[] { CallerA, "#", "*", "" })
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeclareAsync($"{CallerB}.sneak", durable: false, exclusive: false, autoDelete: true);
                var denied = await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => channel.QueueBindAsync(
                    $"{CallerB}.sneak", AvatarEvents.ExchangeOf(typeof(AvatarSessionCreated)), key));
                Assert.Equal((ushort)403, denied.ShutdownReason?.ReplyCode);
            }

            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.ExchangeDeclareAsync($"{CallerB}.sneak", ExchangeType.Fanout, durable: false, autoDelete: true);
                var denied = await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => channel.ExchangeBindAsync(
                    $"{CallerB}.sneak", AvatarEvents.ExchangeOf(typeof(AvatarAssetsApproved)), CallerA));
                Assert.Equal((ushort)403, denied.ShutdownReason?.ReplyCode);
            }
        }

        // A pipeline granted A's approvals (and nothing else of A's) binds to those, and to A's other events not.
        var pipeline = world.Pipeline;
        await using var pipelineConnection = await pipeline.ConnectAsync();
        await using var approvals = await pipelineConnection.CreateChannelAsync();
        await approvals.QueueDeclareAsync($"{Pipeline}.approvals", durable: true, exclusive: false, autoDelete: false);
        await approvals.QueueBindAsync($"{Pipeline}.approvals", AvatarEvents.ExchangeOf(typeof(AvatarAssetsApproved)), CallerA);
        await using (var channel = await pipelineConnection.CreateChannelAsync())
        {
            var denied = await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => channel.QueueBindAsync(
                $"{Pipeline}.approvals", AvatarEvents.ExchangeOf(typeof(AvatarAuthVerified)), CallerA));
            Assert.Equal((ushort)403, denied.ShutdownReason?.ReplyCode);
        }

        // B's own queue refuses everything that reaches it (x-overflow=reject-publish), bound to every event it may bind.
        await using var refusingConnection = await world.AsB.ConnectAsync();
        await using var refusing = await refusingConnection.CreateChannelAsync();
        await refusing.QueueDeclareAsync($"{CallerB}.refusing", durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-max-length"] = 0,
            ["x-overflow"] = "reject-publish",
        });
        foreach (var type in AvatarEvents.Types)
        {
            await refusing.QueueBindAsync($"{CallerB}.refusing", AvatarEvents.ExchangeOf(type), CallerB);
        }

        try
        {
            // A's whole flow: A sees every event of it, B none, the pipeline A's approval; RabbitMQ refused none of them.
            var sessionId = Guid.NewGuid();
            await busA.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));
            var created = await eventsA.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
            await Simulator.CompleteH5Async(created.H5Link);
            await busA.Publish(new AvatarAuthCompleted(sessionId));
            var groupId = (await eventsA.WaitFor<AvatarAuthVerified>(e => e.SessionId == sessionId)).GroupId;
            var mine = Submission(groupId, "front");
            await busA.Publish(mine);
            await eventsA.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == mine.SubmissionId);
            Assert.Equal(0, world.RefusedByBroker());

            var approval = await WaitForMessageAsync(approvals, $"{Pipeline}.approvals");
            Assert.Contains(mine.SubmissionId.ToString(), approval);

            // B's own invalid submission ends in a rejection to B, which B's refusing queue refuses: it receives only its owner's.
            var invalid = Submission($"group-nobody-{Guid.NewGuid():N}", "front");
            await busB.Publish(invalid);
            await eventsB.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == invalid.SubmissionId);
            await WaitUntil(() => world.RefusedByBroker() > 0);

            // Every event the operator's binding of every key saw for A's flows, A saw too; B saw none of them.
            Assert.NotEmpty(world.Operator.All<AvatarAssetsApproved>(e => e.SubmissionId == mine.SubmissionId));
            Assert.Empty(eventsB.All<AvatarSessionCreated>(e => e.SessionId == sessionId));
            Assert.Empty(eventsB.All<AvatarAuthVerified>(e => e.SessionId == sessionId));
            Assert.Empty(eventsB.All<AvatarAssetsApproved>(e => e.SubmissionId == mine.SubmissionId));
            Assert.Empty(eventsA.All<AvatarAssetsRejected>(e => e.SubmissionId == invalid.SubmissionId));
        }
        finally
        {
            // The world goes on to the class's other test: neither queue outlives this one.
            await refusing.QueueDeleteAsync($"{CallerB}.refusing");
            await approvals.QueueDeleteAsync($"{Pipeline}.approvals");
        }
    }

    private const string Pipeline = "pipeline-ids";

    /// <summary>What a test of two callers works with: each caller's bus and events, the users, and an operator's view.</summary>
    internal sealed record TwoCallers(
        IBus BusA, IBus BusB, EventLog EventsA, EventLog EventsB, Avatar.Testing.Services AsA, Avatar.Testing.Services AsB,
        Avatar.Testing.Services Pipeline, EventLog Operator, Func<long> RefusedByBroker,
        IRequestClient<GetAvatarStatus> StatusA, IRequestClient<GetAvatarStatus> StatusB);

    /// <summary>
    /// The worker, callers A and B and a pipeline that A's approvals are granted to, each with its own RabbitMQ user from
    /// <c>scripts/rabbitmq-users.sh</c>, on a virtual host and database of their own; and an operator's subscriber that
    /// binds every key. Built by the first test that asks and shared by the class's tests: each build costs a dozen
    /// rabbitmqctl calls, each an Erlang VM of its own.
    /// </summary>
    public sealed class TwoCallersWorld : IAsyncLifetime
    {
        private readonly SemaphoreSlim building = new(1, 1);
        private readonly Stack<Func<Task>> teardown = new();
        private TwoCallers? world;

        internal async Task<TwoCallers> GetAsync(AvatarFixture fixture)
        {
            await building.WaitAsync();
            try
            {
                return world ??= await BuildAsync(fixture);
            }
            finally
            {
                building.Release();
            }
        }

        private async Task<TwoCallers> BuildAsync(AvatarFixture fixture)
        {
            var vhost = $"avatar-ids-{Guid.NewGuid():N}";
            var database = $"avatar_ids_{Guid.NewGuid():N}";
            var passwords = new[] { WorkerUser, CallerA, CallerB, Pipeline }.ToDictionary(u => u, _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)));
            await fixture.Services.CreateVirtualHostAsync(vhost);
            var connectionString = await fixture.Services.CreateDatabaseAsync(database);
            teardown.Push(async () =>
            {
                await fixture.Services.DeleteVirtualHostAsync(vhost);
                foreach (var user in passwords.Keys)
                {
                    await fixture.Services.DeleteBrokerUserAsync(user);
                }

                await fixture.Services.DropDatabaseAsync(database);
            });

            await fixture.Services.RabbitMqUsersAsync(passwords[WorkerUser], "worker", WorkerUser, vhost);
            foreach (var caller in new[] { CallerA, CallerB, Pipeline })
            {
                await fixture.Services.RabbitMqUsersAsync(passwords[caller], "caller", caller, vhost);
            }

            Assert.Contains($"binds {nameof(AvatarAssetsApproved)} with the keys {Pipeline} {CallerA}",
                await fixture.Services.RabbitMqUsersAsync("", "grant", Pipeline, nameof(AvatarAssetsApproved), CallerA, "--vhost", vhost));
            var settings = Harness.WorkerSettings(fixture.Services.As(vhost, WorkerUser, passwords[WorkerUser]), connectionString, fixture.Simulator.BaseAddress, fixture.ApiKey);
            foreach (var key in new[] { "Avatar:Polling:InitialDelay", "Avatar:Polling:MaxDelay", "Avatar:Polling:DispatchInterval" })
            {
                settings[key] = fixture.WorkerSettings()[key];
            }

            // An event a caller's own queue refuses is given up soon, so the worker's stop does not wait for it.
            settings["Messaging:RefusalPatience"] = "00:00:03";
            var worker = await WorkerInstance.StartAsync(settings, fixture.Logs);
            teardown.Push(async () => await worker.DisposeAsync());
            var (asA, asB) = (fixture.Services.As(vhost, CallerA, passwords[CallerA]), fixture.Services.As(vhost, CallerB, passwords[CallerB]));
            var (eventsA, eventsB, operatorEvents) = (new EventLog(), new EventLog(), new EventLog());
            var a = await StartAsync(Harness.StartOtherServicesAsync(asA, eventsA, $"{CallerA}.events-", CallerA));
            var b = await StartAsync(Harness.StartOtherServicesAsync(asB, eventsB, $"{CallerB}.events-", CallerB));
            await StartAsync(Harness.StartOtherServicesAsync(fixture.Services.As(vhost, fixture.Services.AmqpUser, fixture.Services.AmqpPassword), operatorEvents));
            var http = new HttpClient { BaseAddress = worker.BaseAddress };
            teardown.Push(() =>
            {
                http.Dispose();
                return Task.CompletedTask;
            });

            return new TwoCallers(
                a.Services.GetRequiredService<IBus>(), b.Services.GetRequiredService<IBus>(), eventsA, eventsB, asA, asB,
                fixture.Services.As(vhost, Pipeline, passwords[Pipeline]), operatorEvents,
                () => RefusedByBroker(http.GetStringAsync("/metrics").GetAwaiter().GetResult()),
                a.Services.GetRequiredService<IClientFactory>().CreateRequestClient<GetAvatarStatus>(),
                b.Services.GetRequiredService<IClientFactory>().CreateRequestClient<GetAvatarStatus>());
        }

        private async Task<IHost> StartAsync(Task<IHost> starting)
        {
            var host = await starting;
            teardown.Push(async () =>
            {
                await host.StopAsync();
                host.Dispose();
            });
            return host;
        }

        public Task InitializeAsync() => Task.CompletedTask;

        /// <summary>Stops what was built, the last first.</summary>
        public async Task DisposeAsync()
        {
            while (teardown.TryPop(out var step))
            {
                await step();
            }

            building.Dispose();
        }
    }

    /// <summary>The worker's count of messages RabbitMQ refused (<c>avatar_broker_refused_total</c>), 0 before the first.</summary>
    private static long RefusedByBroker(string metrics) =>
        (long)PrometheusText.Samples(metrics).Where(s => s.Name == "avatar_broker_refused_total").Sum(s => s.Value);

    /// <summary>The body of the next message on <paramref name="queue"/>, waiting up to 30 s for one.</summary>
    private static async Task<string> WaitForMessageAsync(IChannel channel, string queue)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                return Encoding.UTF8.GetString(message.Body.Span);
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"nothing arrived on {queue}");
    }

    private static byte[] Envelope(string messageType, string message, Guid? messageId = null) => Encoding.UTF8.GetBytes($$"""
        {"messageId":"{{messageId ?? Guid.NewGuid()}}","messageType":["urn:message:Avatar.Contracts:{{messageType}}"],"message":{{message}}}
        """);

}
