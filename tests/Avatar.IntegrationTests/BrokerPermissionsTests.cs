using System.Security.Cryptography;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Avatar.IntegrationTests;

/// <summary>
/// The users of <c>scripts/rabbitmq-users.sh</c>: the worker and a MassTransit caller each with their own, on their own
/// virtual host and database. The whole flow runs; the caller cannot publish an event or read the worker's queues.
/// </summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class BrokerPermissionsTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private const string WorkerUser = "avatar-worker-test";
    private const string CallerUser = "video-pipeline-test";

    [Fact]
    public async Task With_per_service_users_the_flow_runs_and_a_caller_can_neither_publish_events_nor_read_the_worker_queues()
    {
        var vhost = $"avatar-users-{Guid.NewGuid():N}";
        var database = $"avatar_users_{Guid.NewGuid():N}";
        var workerPassword = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var callerPassword = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        await Fixture.Services.CreateVirtualHostAsync(vhost);
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        try
        {
            Assert.Contains($"{WorkerUser} on {vhost}", await Fixture.Services.RabbitMqUsersAsync(workerPassword, "worker", WorkerUser, vhost));
            Assert.Contains($"{CallerUser} on {vhost}", await Fixture.Services.RabbitMqUsersAsync(callerPassword, "caller", CallerUser, vhost));
            var asWorker = Fixture.Services.As(vhost, WorkerUser, workerPassword);
            var asCaller = Fixture.Services.As(vhost, CallerUser, callerPassword);

            var settings = Harness.WorkerSettings(asWorker, connectionString, Simulator.BaseAddress, Fixture.ApiKey);
            foreach (var key in new[] { "Avatar:Polling:InitialDelay", "Avatar:Polling:MaxDelay", "Avatar:Polling:DispatchInterval" })
            {
                settings[key] = Fixture.WorkerSettings()[key];
            }

            await using var worker = await WorkerInstance.StartAsync(settings, Fixture.Logs);
            var events = new EventLog();
            using var caller = await Harness.StartOtherServicesAsync(asCaller, events, $"{CallerUser}.events-", CallerUser);
            var bus = caller.Services.GetRequiredService<IBus>();

            // The whole flow, the caller publishing every command and reading every event through its own user.
            var sessionId = Guid.NewGuid();
            await bus.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));
            var created = await events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
            await Simulator.CompleteH5Async(created.H5Link);
            await bus.Publish(new AvatarAuthCompleted(sessionId));
            var groupId = (await events.WaitFor<AvatarAuthVerified>(e => e.SessionId == sessionId)).GroupId;
            var submission = Submission(groupId, "front");
            await bus.Publish(submission);
            await events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId);

            // The caller cannot end someone else's command by publishing its event: the broker refuses the publish
            // (MassTransit keeps retrying it until cancelled), and no subscriber ever sees it.
            var forged = new AvatarAssetsRejected(Guid.NewGuid(), groupId, [], [], AvatarErrorCodes.InvalidRequest, "forged");
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bus.Publish(forged, timeout.Token));
            }

            // Nor forge a person's return from the H5 page (the callback receiver's own message).
            await using (var raw = await asCaller.ConnectAsync())
            {
                foreach (var exchange in new[] { $"Avatar.Contracts:{nameof(AvatarAssetsRejected)}", "Avatar.Worker.Callback:H5CallbackReceived" })
                {
                    await using var channel = await raw.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
                    var denied = await Assert.ThrowsAnyAsync<Exception>(async () => await channel.BasicPublishAsync(exchange, "", "{}"u8.ToArray()));
                    Assert.Contains("ACCESS_REFUSED", denied.ToString());
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Empty(events.All<AvatarAssetsRejected>(e => e.SubmissionId == forged.SubmissionId));

            // Nor read, or declare, the worker's queues, nor another caller's, nor a MassTransit bus queue named the
            // default way ({host}_{process}_bus_{id}: a caller names its own with its prefix).
            await using var connection = await asCaller.ConnectAsync();
            foreach (var queue in Avatar.Admin.Queues.WorkerQueues.Append("other-service.events").Append("host_dotnet_bus_0123456789abcdef"))
            {
                await using var channel = await connection.CreateChannelAsync();
                var denied = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false));
                Assert.Equal((ushort)403, denied.ShutdownReason?.ReplyCode);
            }

            await using (var channel = await connection.CreateChannelAsync())
            {
                var denied = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync("submit-avatar-assets", autoAck: true));
                Assert.Equal((ushort)403, denied.ShutdownReason?.ReplyCode);
            }

            await caller.StopAsync();
        }
        finally
        {
            await Fixture.Services.DeleteVirtualHostAsync(vhost);
            await Fixture.Services.DeleteBrokerUserAsync(WorkerUser);
            await Fixture.Services.DeleteBrokerUserAsync(CallerUser);
            await Fixture.Services.DropDatabaseAsync(database);
        }
    }
}
