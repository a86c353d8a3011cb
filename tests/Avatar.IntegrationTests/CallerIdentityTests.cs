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
public sealed class CallerIdentityTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private const string WorkerUser = "avatar-worker-ids";
    private const string CallerA = "caller-a-ids";
    private const string CallerB = "caller-b-ids";

    [Fact]
    public async Task Only_the_caller_that_opened_a_flow_acts_on_it_and_the_broker_vouches_for_who_that_is()
    {
        var vhost = $"avatar-ids-{Guid.NewGuid():N}";
        var database = $"avatar_ids_{Guid.NewGuid():N}";
        var passwords = new[] { WorkerUser, CallerA, CallerB }.ToDictionary(u => u, _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)));
        await Fixture.Services.CreateVirtualHostAsync(vhost);
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        try
        {
            await Fixture.Services.RabbitMqUsersAsync(passwords[WorkerUser], "worker", WorkerUser, vhost);
            await Fixture.Services.RabbitMqUsersAsync(passwords[CallerA], "caller", CallerA, vhost);
            await Fixture.Services.RabbitMqUsersAsync(passwords[CallerB], "caller", CallerB, vhost);
            var settings = Harness.WorkerSettings(Fixture.Services.As(vhost, WorkerUser, passwords[WorkerUser]), connectionString, Simulator.BaseAddress, Fixture.ApiKey);
            foreach (var key in new[] { "Avatar:Polling:InitialDelay", "Avatar:Polling:MaxDelay", "Avatar:Polling:DispatchInterval" })
            {
                settings[key] = Fixture.WorkerSettings()[key];
            }

            await using var worker = await WorkerInstance.StartAsync(settings, Fixture.Logs);
            var (asA, asB) = (Fixture.Services.As(vhost, CallerA, passwords[CallerA]), Fixture.Services.As(vhost, CallerB, passwords[CallerB]));
            var (eventsA, eventsB) = (new EventLog(), new EventLog());
            using var a = await Harness.StartOtherServicesAsync(asA, eventsA, queuePrefix: $"{CallerA}.events-");
            using var b = await Harness.StartOtherServicesAsync(asB, eventsB, queuePrefix: $"{CallerB}.events-");
            var (busA, busB) = (a.Services.GetRequiredService<IBus>(), b.Services.GetRequiredService<IBus>());

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

            var unidentified = await eventsA.WaitFor<AvatarCommandRefused>(e => e.FlowId == anonymous);
            Assert.Equal((AvatarErrorCodes.UnidentifiedCaller, messageId), (unidentified.ErrorCode, unidentified.MessageId));
            Assert.Equal(0, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(anonymous)}"));

            await a.StopAsync();
            await b.StopAsync();
        }
        finally
        {
            await Fixture.Services.DeleteVirtualHostAsync(vhost);
            foreach (var user in passwords.Keys)
            {
                await Fixture.Services.DeleteBrokerUserAsync(user);
            }

            await Fixture.Services.DropDatabaseAsync(database);
        }
    }

    private static byte[] Envelope(string messageType, string message, Guid? messageId = null) => Encoding.UTF8.GetBytes($$"""
        {"messageId":"{{messageId ?? Guid.NewGuid()}}","messageType":["urn:message:Avatar.Contracts:{{messageType}}"],"message":{{message}}}
        """);

}
