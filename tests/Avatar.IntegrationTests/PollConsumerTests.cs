using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Worker.Polling;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

/// <summary>Poll messages delivered twice: a redelivery after the step was stored, and a claim someone else has replaced.</summary>
public sealed class PollConsumerTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Redelivered_poll_of_a_finished_review_publishes_the_outcome_again_without_calling_xcompute()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var command = Submission(await Simulator.MintGroupAsync(), "front");
        await Fixture.Publish(command);
        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var (taskId, lastClaim) = await ClaimOf(command.SubmissionId);
        var polls = (await Simulator.StatsAsync()).Polls[taskId].Count;

        // As if the worker had died after storing the outcome and before its event left: the same message, twice.
        var endpoint = await Fixture.Bus.GetSendEndpoint(PollDispatcher.PollSubmissionQueue);
        await endpoint.Send(new PollSubmission(command.SubmissionId, lastClaim));
        await endpoint.Send(new PollSubmission(command.SubmissionId, lastClaim));

        await WaitUntil(() => Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId).Count == 3);
        Assert.All(Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId), e => Assert.Equal(approved.Assets, e.Assets));
        Assert.Equal(polls, (await Simulator.StatsAsync()).Polls[taskId].Count);
    }

    [Fact]
    public async Task Poll_under_a_claim_that_is_not_the_rows_does_nothing()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var command = Submission(await Simulator.MintGroupAsync(), "front");
        await Fixture.Publish(command);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var (taskId, _) = await ClaimOf(command.SubmissionId);
        var polls = (await Simulator.StatsAsync()).Polls[taskId].Count;

        var endpoint = await Fixture.Bus.GetSendEndpoint(PollDispatcher.PollSubmissionQueue);
        await endpoint.Send(new PollSubmission(command.SubmissionId, Guid.NewGuid()));
        await endpoint.Send(new PollSubmission(Guid.NewGuid(), Guid.NewGuid()));
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Single(Events.All<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId));
        Assert.Equal(polls, (await Simulator.StatsAsync()).Polls[taskId].Count);
    }

    [Fact]
    public async Task Redelivered_poll_of_a_verified_session_publishes_the_group_again()
    {
        await Simulator.ConfigureAsync(new { step2Shape = "Task" });
        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        await using var db = Fixture.Db();
        var lastClaim = (await db.Sessions.SingleAsync(s => s.Id == created.SessionId)).LeaseToken!.Value;

        var endpoint = await Fixture.Bus.GetSendEndpoint(PollDispatcher.PollSessionQueue);
        await endpoint.Send(new PollSession(created.SessionId, lastClaim));
        await endpoint.Send(new PollSession(created.SessionId, lastClaim));

        await WaitUntil(() => Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId).Count == 3);
        Assert.All(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId), e => Assert.Equal(verified, e));
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}"));
    }

    private async Task<(string TaskId, Guid LastClaim)> ClaimOf(Guid submissionId)
    {
        await using var db = Fixture.Db();
        var row = await db.Submissions.SingleAsync(s => s.Id == submissionId);
        return (row.TaskId!, row.LeaseToken!.Value);
    }
}
