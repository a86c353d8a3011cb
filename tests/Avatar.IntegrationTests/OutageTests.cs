using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;

namespace Avatar.IntegrationTests;

/// <summary>
/// Short outages of the real PostgreSQL and RabbitMQ while work is under way: every command still ends in its event,
/// nothing lands in an <c>_error</c> queue, and the worker resumes by itself. (<c>./chaos.sh</c> runs the long ones.)
/// </summary>
public sealed class OutageTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private static readonly string[] IntakeQueues = ["create-avatar-session", "avatar-auth-completed", "submit-avatar-assets", "poll-session", "poll-submission"];

    [Fact]
    public async Task Commands_that_arrive_while_the_database_is_down_each_end_in_one_event_once_it_is_back()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 5).Select(i => Submission(groupId, $"front-{i}")).ToList();
        var sessionId = Guid.NewGuid();
        var errorsBefore = await ErrorCountAsync();

        await Fixture.Services.StopDatabaseAsync();
        try
        {
            await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
            await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

            // The consumers are retrying against the missing database now.
            await WaitUntil(() => Fixture.Logs.Contains("The poll-dispatcher loop failed"), seconds: 20);
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            await Fixture.StartDatabaseAsync();
        }

        foreach (var submission in submissions)
        {
            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
        }

        await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId, TimeSpan.FromSeconds(60));
        Assert.Equal(5, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
        Assert.Equal(errorsBefore, await ErrorCountAsync());
        await WaitUntil(() => Fixture.Logs.Contains("The poll-dispatcher loop works again"), seconds: 20);
    }

    [Fact]
    public async Task Reviews_in_flight_while_the_broker_is_down_finish_once_it_is_back()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:04" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 3).Select(i => Submission(groupId, $"front-{i}", $"side-reject-{i}")).ToList();
        await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
        foreach (var submission in submissions)
        {
            await WaitUntil(async () => await FindAsync<AvatarSubmission>(submission.SubmissionId) is { State: SubmissionState.InReview });
        }

        var errorsBefore = await ErrorCountAsync();
        await Fixture.Services.StopBrokerAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            await Fixture.Services.StartBrokerAsync();
        }

        foreach (var submission in submissions)
        {
            var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
            Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
            Assert.Single(rejected.UsableAssets);
        }

        Assert.Equal(3, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
        Assert.Equal(errorsBefore, await ErrorCountAsync());
    }

    private async Task<long> ErrorCountAsync()
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        long total = 0;
        foreach (var queue in IntakeQueues)
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                total += (await channel.QueueDeclarePassiveAsync($"{queue}_error")).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not created yet: MassTransit declares an error queue on its first fault.
            }
        }

        return total;
    }
}
