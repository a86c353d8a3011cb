using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Simulator;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

[Collection(AvatarCollection.Name)]
public sealed class SubmissionTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01.500" });
    }

    [Fact]
    public async Task Full_flow_from_session_to_approved_assets()
    {
        var groupId = await VerifiedGroupAsync();
        var command = Submission(groupId, "front", "smile");

        await Fixture.Publish(command);

        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(groupId, approved.GroupId);
        Assert.Equal(["front", "smile"], approved.Assets.Select(a => a.Name));
        Assert.All(approved.Assets, a =>
        {
            Assert.StartsWith("asset://", a.AssetUrl);
            Assert.Equal("Active", a.Status);
        });

        await using var db = Fixture.Db();
        var stored = await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId);
        Assert.Equal(SubmissionState.Approved, stored.State);
        Assert.Equal(approved.Assets.Select(a => a.AssetUrl), stored.UsableAssets.Select(a => a.AssetUrl));
        Assert.True(stored.Schedule.IsFinished);
    }

    [Fact]
    public async Task Partly_rejected_submission_publishes_its_usable_assets()
    {
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front", "side-reject", "smile");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
        Assert.Equal(["front", "smile"], rejected.UsableAssets.Select(a => a.Name));
        Assert.All(rejected.UsableAssets, a => Assert.StartsWith("asset://", a.AssetUrl));
        var failed = Assert.Single(rejected.FailedAssets);
        Assert.Equal("side-reject", failed.Name);
        Assert.Equal("Failed", failed.Status);
        Assert.Contains("1 of 3", rejected.Reason);
    }

    [Fact]
    public async Task Wholly_rejected_submission_has_no_usable_assets()
    {
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "reject-a", "reject-b");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
        Assert.Empty(rejected.UsableAssets);
        Assert.Equal(["reject-a", "reject-b"], rejected.FailedAssets.Select(a => a.Name));
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("queued_for_review")]
    public async Task Pending_and_undocumented_statuses_keep_the_review_polling(string status)
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:02", inProgressStatus = status });
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);

        // A poll saw the review in progress, in that status, and polling went on until it ended. (Not a count of polls:
        // on a loaded machine the first poll may come late in a 2-s review.)
        await using var db = Fixture.Db();
        var taskId = (await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId)).TaskId!;
        var review = (await Simulator.ReviewsAsync()).Single(r => r.Id == taskId);
        var polls = (await Simulator.StatsAsync()).Polls[taskId];
        Assert.Contains(polls.StartedAt, at => at < review.FinishesAt);
        Assert.Contains(polls.StartedAt, at => at >= review.FinishesAt);
    }

    [Fact]
    public async Task Image_submission_is_approved()
    {
        var groupId = await MintGroupAsync();
        var command = new SubmitAvatarAssets(Guid.NewGuid(), groupId, [new AvatarAssetSource("https://cdn.example/a.png", "portrait")], AvatarAssetType.Image);

        await Fixture.Publish(command);

        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal("portrait", Assert.Single(approved.Assets).Name);
    }

    [Fact]
    public async Task Duplicate_submit_commands_start_one_review_and_repeat_the_outcome()
    {
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");

        await Task.WhenAll(Fixture.Publish(command), Fixture.Publish(command));
        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        await Fixture.Publish(command);
        await WaitUntil(() => Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId).Count >= 2);

        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
        Assert.All(Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId), e =>
        {
            Assert.Equal(approved.GroupId, e.GroupId);
            Assert.Equal(approved.Assets, e.Assets);
        });
    }

    [Fact]
    public async Task Transient_500s_and_429s_while_polling_do_not_end_the_review()
    {
        await Simulator.AddFaultAsync(new FaultRule("500", Count: 3, Method: "GET", PathPrefix: "/v1/tasks"));
        await Simulator.AddFaultAsync(new FaultRule("429", Count: 2, Method: "GET", PathPrefix: "/v1/tasks", RetryAfterSeconds: 1));
        await Simulator.AddFaultAsync(new FaultRule("drop", Count: 1, Method: "GET", PathPrefix: "/v1/tasks"));
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        Assert.Single(approved.Assets);
        await using var db = Fixture.Db();
        var taskId = (await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId)).TaskId!;
        var polls = (await Simulator.StatsAsync()).Polls[taskId].Count;
        Assert.True(polls >= 7, $"six failed polls and at least one good one were expected, saw {polls}");
    }

    [Fact]
    public async Task Retry_after_is_honoured_between_polls()
    {
        var groupId = await MintGroupAsync();
        await Simulator.AddFaultAsync(new FaultRule("429", Method: "GET", PathPrefix: "/v1/tasks", RetryAfterSeconds: 3));
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var polls = await PollsOf(command.SubmissionId);
        // The backoff alone would wait about 0.3 s.
        Assert.True(polls.StartedAt[1] - polls.StartedAt[0] >= TimeSpan.FromSeconds(2.9), $"second poll came {polls.StartedAt[1] - polls.StartedAt[0]} after the 429");
    }

    [Fact]
    public async Task Retry_after_never_pushes_a_poll_past_the_deadline()
    {
        var groupId = await MintGroupAsync();
        await Simulator.AddFaultAsync(new FaultRule("429", Method: "GET", PathPrefix: "/v1/tasks", RetryAfterSeconds: 600));
        var command = Submission(groupId, "front");
        var published = DateTimeOffset.UtcNow;

        await Fixture.Publish(command);

        // The deadline is 15 s after the command: the last poll happens then (not 600 s later), and the finished
        // review is picked up. Measured from the command, as the first poll's own time depends on the machine's load.
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId, TimeSpan.FromSeconds(30));
        var polls = await PollsOf(command.SubmissionId);
        Assert.Equal(2, polls.Count);
        Assert.InRange(polls.StartedAt[1] - published, TimeSpan.FromSeconds(14.5), TimeSpan.FromSeconds(20));
    }

    private async Task<PollStats> PollsOf(Guid submissionId)
    {
        await using var db = Fixture.Db();
        var taskId = (await db.Submissions.SingleAsync(s => s.Id == submissionId)).TaskId!;
        return (await Simulator.StatsAsync()).Polls[taskId];
    }

    [Theory]
    [InlineData("503")]
    [InlineData("429")]
    public async Task Submit_refused_before_processing_is_retried(string status)
    {
        await Simulator.AddFaultAsync(new FaultRule(status, Count: 2, Method: "POST", PathPrefix: "/v1/seedance2"));
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("500")]
    public async Task Submit_with_an_unknown_outcome_is_not_repeated(string fault)
    {
        await Simulator.AddFaultAsync(new FaultRule(fault, Method: "POST", PathPrefix: "/v1/seedance2"));
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.SubmitOutcomeUnknown, rejected.ErrorCode);
        Assert.Contains("it is not resubmitted, to avoid a duplicate review", rejected.Reason);
        Assert.True((await FindAsync<AvatarSubmission>(command.SubmissionId))!.Schedule.IsFinished);

        // The row is finished, so nothing can send it again. A dropped connection means xcompute did take it (one review exists); a 500 here means it did not. Neither is sent twice.
        Assert.Equal(fault == "drop" ? 1 : 0, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    [Theory]
    [InlineData("401", AvatarErrorCodes.Unauthorized)]
    [InlineData("402", AvatarErrorCodes.PaymentRequired)]
    public async Task Submit_refused_for_good_ends_the_submission_with_its_error_code(string status, string errorCode)
    {
        await Simulator.AddFaultAsync(new FaultRule(status, Method: "POST", PathPrefix: "/v1/seedance2"));
        var command = Submission(await MintGroupAsync(), "front");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(errorCode, rejected.ErrorCode);
        Assert.Contains($"HTTP {status}", rejected.Reason);
        Assert.Equal(SubmissionState.Rejected, (await FindAsync<AvatarSubmission>(command.SubmissionId))!.State);
    }

    [Theory]
    [InlineData("401", AvatarErrorCodes.Unauthorized)]
    [InlineData("402", AvatarErrorCodes.PaymentRequired)]
    [InlineData("404", AvatarErrorCodes.TaskNotFound)]
    public async Task Polling_refused_for_good_ends_the_review_with_its_error_code(string status, string errorCode)
    {
        var groupId = await MintGroupAsync();

        // Every poll is refused: a 404 ends the review only once the task is older than XCompute:NewTaskGrace.
        await Simulator.AddFaultAsync(new FaultRule(status, Count: 1000, Method: "GET", PathPrefix: "/v1/tasks"));
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(errorCode, rejected.ErrorCode);
    }

    [Fact]
    public async Task Review_that_never_finishes_ends_with_review_timeout()
    {
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "stuck-forever");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId, TimeSpan.FromSeconds(40));
        Assert.Equal(AvatarErrorCodes.ReviewTimeout, rejected.ErrorCode);
        await using var db = Fixture.Db();
        var stored = await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId);
        Assert.Equal(SubmissionState.Rejected, stored.State);
        Assert.InRange(stored.CompletedAt!.Value - stored.CreatedAt, TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(25));
    }

    [Fact]
    public async Task Review_cancelled_at_xcompute_ends_with_task_cancelled()
    {
        var groupId = await MintGroupAsync();
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:30" });
        var command = Submission(groupId, "front");

        await Fixture.Publish(command);
        string? taskId = null;
        await WaitUntil(() =>
        {
            using var db = Fixture.Db();
            taskId = db.Submissions.Where(s => s.Id == command.SubmissionId).Select(s => s.TaskId).SingleOrDefault();
            return taskId is not null;
        });
        await Simulator.CancelTaskAsync(taskId!);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.TaskCancelled, rejected.ErrorCode);
    }
}
