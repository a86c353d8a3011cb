using System.Text;
using System.Text.RegularExpressions;
using Avatar.Admin;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

/// <summary><c>avatar-admin</c>, run with the same settings as the worker, against the real services.</summary>
[Collection(AvatarCollection.Name)]
public sealed partial class AdminTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Status_counts_open_rows_by_state_and_shows_the_error_queues()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:30" });
        var before = OpenSubmissions(await AdminAsync("status"));
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        await WaitUntil(async () => await FindAsync<AvatarSubmission>(command.SubmissionId) is { State: SubmissionState.InReview });

        var status = await AdminAsync("status");

        Assert.Equal(before + 1, OpenSubmissions(status));
        Assert.Matches(@"InReview\s+open\s+\d+, oldest created", status);
        Assert.Contains("submit-avatar-assets_error", status);

        var row = (await FindAsync<AvatarSubmission>(command.SubmissionId))!;
        await Simulator.CancelTaskAsync(row.TaskId!);
        await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
    }

    [Fact]
    public async Task Redrive_moves_a_message_from_the_error_queue_back_and_the_worker_consumes_it()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissionId = Guid.NewGuid();
        await ParkInErrorQueueAsync("submit-avatar-assets", "SubmitAvatarAssets", $$"""
            {"submissionId":"{{submissionId}}","groupId":"{{groupId}}","assets":[{"url":"https://cdn.example/a.mp4","name":"front"}]}
            """);

        var dryRun = await AdminAsync("redrive", "submit-avatar-assets", "--dry-run");
        Assert.Contains("submit-avatar-assets_error: 1 message(s) would move", dryRun);
        Assert.Equal(1u, await ErrorDepthAsync("submit-avatar-assets"));

        var redrive = await AdminAsync("redrive", "submit-avatar-assets");

        Assert.Contains("submit-avatar-assets_error: 1 message(s) moved to submit-avatar-assets", redrive);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submissionId);
        Assert.Equal(0u, await ErrorDepthAsync("submit-avatar-assets"));
    }

    [Fact]
    public async Task Show_prints_a_row_with_its_schedule_and_never_its_token()
    {
        var created = await CreateSessionAsync();
        var token = (await FindAsync<AvatarSession>(created.SessionId))!.BytedToken!;

        var shown = await AdminAsync("show", created.SessionId.ToString());

        Assert.StartsWith($"session {created.SessionId}", shown);
        Assert.Contains("\"State\": \"AwaitingVerification\"", shown);
        Assert.Contains(created.H5Link, shown);
        Assert.Contains("\"NextPollAt\"", shown);
        Assert.Contains("(held; never shown)", shown);
        Assert.DoesNotContain(token, shown);

        var unknown = Guid.NewGuid();
        Assert.Contains($"no session or submission {unknown}", await AdminAsync(2, "show", unknown.ToString()));
    }

    [Fact]
    public async Task Abandon_ends_a_stuck_submission_and_publishes_its_failure_event_once_per_run()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "01:00:00" });
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        await WaitUntil(async () => await FindAsync<AvatarSubmission>(command.SubmissionId) is { State: SubmissionState.InReview });

        var abandoned = await AdminAsync("abandon", command.SubmissionId.ToString(), "--reason", "xcompute lost the task (ticket 4711)");

        Assert.Contains($"submission {command.SubmissionId} ended Rejected (abandoned)", abandoned);
        Assert.Contains("published AvatarAssetsRejected", abandoned);
        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.Abandoned, rejected.ErrorCode);
        Assert.Equal("abandoned by an operator: xcompute lost the task (ticket 4711)", rejected.Reason);
        var row = (await FindAsync<AvatarSubmission>(command.SubmissionId))!;
        Assert.Equal(SubmissionState.Rejected, row.State);
        Assert.True(row.Schedule.IsFinished, "an abandoned row is never polled again");

        // Again: the row stays as it ended, and its stored event goes out once more for callers that missed it.
        var again = await AdminAsync("abandon", command.SubmissionId.ToString(), "--reason", "a second time");
        Assert.Contains($"submission {command.SubmissionId} had already ended Rejected (abandoned)", again);
        await WaitUntil(() => Task.FromResult(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId).Count == 2));
        Assert.All(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId), e => Assert.Equal(rejected.Reason, e.Reason));

        var unknown = Guid.NewGuid();
        Assert.Contains($"no session or submission {unknown}", await AdminAsync(2, "abandon", unknown.ToString(), "--reason", "x"));
    }

    [Fact]
    public async Task Abandon_ends_a_session_awaiting_its_person_and_erases_its_token()
    {
        var created = await CreateSessionAsync();

        var abandoned = await AdminAsync("abandon", created.SessionId.ToString(), "--reason", "the person withdrew consent");

        Assert.Contains($"session {created.SessionId} ended VerificationFailed (abandoned)", abandoned);
        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        Assert.Equal(AvatarErrorCodes.Abandoned, failed.ErrorCode);
        var row = (await FindAsync<AvatarSession>(created.SessionId))!;
        Assert.Null(row.BytedToken);
        Assert.True(row.Schedule.IsFinished);

        // The person finishing anyway changes nothing: the command gets the stored ending back.
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        await WaitUntil(() => Task.FromResult(Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId).Count == 2));
        Assert.Empty(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId));
    }

    private Task<string> AdminAsync(params string[] args) => AdminAsync(0, args);

    private async Task<string> AdminAsync(int expectedExitCode, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Fixture.WorkerSettings()!).Build();
        using var output = new StringWriter();
        var exitCode = await AdminCommands.RunAsync(args, configuration, output);
        Assert.True(exitCode == expectedExitCode, $"avatar-admin exited {exitCode}: {output}");
        return output.ToString();
    }

    private static int OpenSubmissions(string status) => int.Parse(SubmissionsLine().Match(status).Groups["open"].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A message that failed before (an outage longer than the tolerance): put straight into the error queue.</summary>
    private async Task ParkInErrorQueueAsync(string queue, string messageType, string message)
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync($"{queue}_error", durable: true, exclusive: false, autoDelete: false);
        await channel.QueuePurgeAsync($"{queue}_error");
        var envelope = $$"""
            {"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Avatar.Contracts:{{messageType}}"],"message":{{message}}}
            """;
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, UserId = Fixture.Services.AmqpUser };
        await channel.BasicPublishAsync("", $"{queue}_error", mandatory: true, properties, Encoding.UTF8.GetBytes(envelope));
    }

    private async Task<uint> ErrorDepthAsync(string queue)
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync($"{queue}_error")).MessageCount;
    }

    [GeneratedRegex(@"^submissions: (?<open>\d+) open", RegexOptions.Multiline)]
    private static partial Regex SubmissionsLine();
}
