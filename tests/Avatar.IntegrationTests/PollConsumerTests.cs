using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

/// <summary>Poll messages delivered twice, stale claims, and rows a worker left half-way.</summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class PollConsumerTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Redelivered_poll_of_a_finished_review_publishes_the_outcome_again_without_calling_xcompute()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var row = (await FindAsync<AvatarSubmission>(command.SubmissionId))!;
        var polls = (await Simulator.StatsAsync()).Polls[row.TaskId!].Count;

        // As if the worker had died after storing the outcome and before its event left: the same message, twice.
        var endpoint = await Fixture.Bus.GetSendEndpoint(PollQueues.SubmissionAddress);
        await endpoint.Send(new PollSubmission(command.SubmissionId, row.Schedule.LeaseToken!.Value));
        await endpoint.Send(new PollSubmission(command.SubmissionId, row.Schedule.LeaseToken!.Value));

        await WaitUntil(() => Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId).Count == 3);
        Assert.All(Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId), e => Assert.Equal(approved.Assets, e.Assets));
        Assert.Equal(polls, (await Simulator.StatsAsync()).Polls[row.TaskId!].Count);
    }

    [Fact]
    public async Task Poll_under_a_claim_that_is_not_the_rows_leaves_a_live_review_alone()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:30" });
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        var row = await InReviewAsync(command.SubmissionId);
        await ParkAsync(command.SubmissionId);
        var polls = await PollCountAsync(row.TaskId!);

        await (await Fixture.Bus.GetSendEndpoint(PollQueues.SubmissionAddress)).Send(new PollSubmission(command.SubmissionId, Guid.NewGuid()));

        await WaitUntil(() => Fixture.Logs.Contains($"Skipped a stale poll of submission {command.SubmissionId}"));
        Assert.Equal(polls, await PollCountAsync(row.TaskId!));
        var after = (await FindAsync<AvatarSubmission>(command.SubmissionId))!;
        Assert.Equal(SubmissionState.InReview, after.State);
        Assert.Equal(0, after.Schedule.UnfinishedAttempts);
    }

    [Fact]
    public async Task One_claim_delivered_twice_at_once_is_worked_once()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:30", latencyMs = 300 });
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        var row = await InReviewAsync(command.SubmissionId);
        await ParkAsync(command.SubmissionId);
        var polls = await PollCountAsync(row.TaskId!);

        // The review is over at xcompute, so the one poll that gets through ends it and nothing polls again.
        await Simulator.CancelTaskAsync(row.TaskId!);
        var claim = await ClaimAsync(command.SubmissionId);
        var endpoint = await Fixture.Bus.GetSendEndpoint(PollQueues.SubmissionAddress);
        await Task.WhenAll(endpoint.Send(new PollSubmission(command.SubmissionId, claim)), endpoint.Send(new PollSubmission(command.SubmissionId, claim)));

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        await WaitUntil(() => Fixture.Logs.Contains($"Skipped a stale poll of submission {command.SubmissionId}"));
        Assert.Equal(AvatarErrorCodes.TaskCancelled, rejected.ErrorCode);
        Assert.Equal(polls + 1, await PollCountAsync(row.TaskId!));
        Assert.All(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId), e => Assert.Equal(rejected.ErrorCode, e.ErrorCode));
    }

    [Fact]
    public async Task Redelivered_poll_of_a_verified_session_publishes_the_group_again()
    {
        await Simulator.ConfigureAsync(new { step2Shape = "Task" });
        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        var lastClaim = (await FindAsync<AvatarSession>(created.SessionId))!.Schedule.LeaseToken!.Value;

        var endpoint = await Fixture.Bus.GetSendEndpoint(PollQueues.SessionAddress);
        await endpoint.Send(new PollSession(created.SessionId, lastClaim));
        await endpoint.Send(new PollSession(created.SessionId, lastClaim));

        await WaitUntil(() => Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId).Count == 3);
        Assert.All(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId), e => Assert.Equal(verified, e));
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}"));
    }

    [Fact]
    public async Task Submission_left_submitting_by_a_worker_that_stopped_ends_as_submit_outcome_unknown()
    {
        var groupId = await MintGroupAsync();
        var id = Guid.NewGuid();

        // What a worker leaves behind when it dies between recording the submit and storing xcompute's answer.
        await InsertAsync(new AvatarSubmission
        {
            Id = id,
            GroupId = groupId,
            ProjectName = "default",
            Assets = [new SubmittedAsset { Url = "https://cdn.example/a.mp4", Name = "front" }],
            State = SubmissionState.Submitting,
            Schedule = { LeaseToken = Guid.NewGuid() },
        });

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == id);
        Assert.Equal(AvatarErrorCodes.SubmitOutcomeUnknown, rejected.ErrorCode);
        Assert.Equal(groupId, rejected.GroupId);
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    [Fact]
    public async Task Session_left_querying_by_a_worker_that_stopped_ends_as_verification_outcome_unknown_and_forgets_its_token()
    {
        var id = Guid.NewGuid();
        await InsertAsync(new AvatarSession
        {
            Id = id,
            CallbackUrl = CallbackFor(id),
            ProjectName = "default",
            State = SessionState.Querying,
            H5Link = "https://h5.example/x",
            BytedToken = "token-left-behind",
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(2),
            Schedule = { LeaseToken = Guid.NewGuid() },
        });

        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == id);
        Assert.Equal(AvatarErrorCodes.VerificationOutcomeUnknown, failed.ErrorCode);
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(id)}"));
        Assert.Null((await FindAsync<AvatarSession>(id))!.BytedToken);
    }

    [Fact]
    public async Task Session_whose_steps_keep_failing_inside_the_worker_ends_with_upstream_error()
    {
        var id = Guid.NewGuid();

        // Five claims began work on it and stored nothing: the next one gives up instead of calling xcompute again.
        await InsertAsync(new AvatarSession
        {
            Id = id,
            CallbackUrl = CallbackFor(id),
            ProjectName = "default",
            State = SessionState.Creating,
            Schedule = { LeaseToken = Guid.NewGuid(), UnfinishedAttempts = 5 },
        });

        var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == id);
        Assert.Equal(AvatarErrorCodes.UpstreamError, failed.ErrorCode);
        Assert.Contains("gave up", failed.Reason);
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(id)}"));
    }

    [Fact]
    public async Task A_hold_returns_its_row_tracked_with_the_database_time_in_its_lease_and_a_second_hold_of_the_claim_gets_nothing()
    {
        var (id, claim) = await InsertClaimedAsync();
        var stored = (await FindAsync<AvatarSubmission>(id))!;
        var lease = TimeSpan.FromSeconds(30);
        var hold = Guid.NewGuid();
        await using var db = Fixture.Db();

        var held = await db.HoldAsync<AvatarSubmission>(id, claim, hold, lease, CancellationToken.None);
        var databaseNow = await db.NowAsync(CancellationToken.None);

        Assert.NotNull(held);
        Assert.Equal(EntityState.Unchanged, db.Entry(held).State);
        Assert.Equal(hold, held.Schedule.LeaseToken);
        Assert.Equal(1, held.Schedule.UnfinishedAttempts);
        Assert.Equal(stored.Schedule.Deadline, held.Schedule.Deadline);
        Assert.Equal(stored.Schedule.TraceParent, held.Schedule.TraceParent);
        Assert.Equal("front", Assert.Single(held.Assets).Name);
        Assert.InRange(databaseNow - (held.Schedule.NextPollAt!.Value - lease), TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Null(await db.HoldAsync<AvatarSubmission>(id, claim, Guid.NewGuid(), lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_hold_commits_without_waiting_for_the_write_ahead_log_to_reach_disk()
    {
        var (id, claim) = await InsertClaimedAsync();
        await using var db = Fixture.Db();
        await using var transaction = await db.Database.BeginTransactionAsync();

        Assert.NotNull(await db.HoldAsync<AvatarSubmission>(id, claim, Guid.NewGuid(), TimeSpan.FromSeconds(30), CancellationToken.None));

        // What the transaction that ran the hold commits with (the hold alone is one such transaction).
        var setting = await db.Database.SqlQuery<string>($"""SELECT current_setting('synchronous_commit') AS "Value" """).ToListAsync();
        Assert.Equal("off", Assert.Single(setting));
        await transaction.RollbackAsync();
    }

    /// <summary>Stores a submission in review, claimed an hour out (so the worker's dispatcher leaves it to the test).</summary>
    private async Task<(Guid Id, Guid Claim)> InsertClaimedAsync()
    {
        var (id, claim) = (Guid.NewGuid(), Guid.NewGuid());
        await using var setup = Fixture.Db();
        var now = DateTimeOffset.UtcNow;
        setup.Add(new AvatarSubmission
        {
            Id = id,
            GroupId = "g-hold",
            ProjectName = "default",
            Assets = [new SubmittedAsset { Url = "https://cdn.example/a.mp4", Name = "front" }],
            State = SubmissionState.InReview,
            TaskId = "task-hold",
            CreatedAt = now,
            UpdatedAt = now,
            Schedule = { LeaseToken = claim, NextPollAt = now.AddHours(1), Deadline = now.AddHours(2), TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        });
        await setup.SaveChangesAsync();
        return (id, claim);
    }

    private async Task<int> PollCountAsync(string taskId) => (await Simulator.StatsAsync()).Polls.GetValueOrDefault(taskId)?.Count ?? 0;

    /// <summary>Stores a row due now, with a deadline a minute out, as a worker would have left it.</summary>
    private async Task InsertAsync<T>(T row)
        where T : class, IScheduled
    {
        await using var db = Fixture.Db();
        var now = DateTimeOffset.UtcNow;
        row.Schedule.NextPollAt = now;
        row.Schedule.Deadline = now.AddMinutes(1);
        row.UpdatedAt = now;
        db.Add(row);
        await db.SaveChangesAsync();
    }

    private async Task<AvatarSubmission> InReviewAsync(Guid submissionId)
    {
        AvatarSubmission? row = null;
        await WaitUntil(async () => (row = await FindAsync<AvatarSubmission>(submissionId)) is { State: SubmissionState.InReview });
        return row!;
    }

    /// <summary>
    /// Takes the row off the schedule for a while, so the dispatcher leaves it to the test: only between steps (no hold
    /// under way), and with a new token, so a claim already on its way goes stale.
    /// </summary>
    private async Task ParkAsync(Guid submissionId)
    {
        await using var db = Fixture.Db();
        await WaitUntil(async () => await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE avatar.submissions SET "NextPollAt" = now() + interval '1 hour', "LeaseToken" = gen_random_uuid()
            WHERE "Id" = {submissionId} AND "NextPollAt" > now() AND "UnfinishedAttempts" = 0
            """) == 1);
    }

    /// <summary>Claims the row as a dispatcher would, and returns the claim.</summary>
    private async Task<Guid> ClaimAsync(Guid submissionId)
    {
        await using var db = Fixture.Db();
        var claim = Guid.NewGuid();
        await db.Database.ExecuteSqlAsync(
            $"""UPDATE avatar.submissions SET "LeaseToken" = {claim}, "NextPollAt" = now() + interval '30 seconds' WHERE "Id" = {submissionId}""");
        return claim;
    }
}
