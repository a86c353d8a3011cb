using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using MassTransit;

namespace Avatar.IntegrationTests;

/// <summary>
/// <see cref="GetAvatarStatus"/> over RabbitMQ's direct reply-to: where a flow stands while it runs, its outcome event
/// once it has ended, and not-found for an id nobody used. (Another caller's flow: <see cref="CallerIdentityTests"/>.)
/// </summary>
[Collection(ThirdAvatarCollection.Name)]
public sealed class StatusTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task A_review_answers_where_it_stands_while_it_runs_and_its_outcome_event_once_it_has_ended()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:06" });
        var command = Submission(await MintGroupAsync(), "front", "smile");
        await Fixture.Publish(command);

        // Under way, once xcompute reported progress past the submit's 10: in review, when the worker looks next, when
        // it expects the end and the latest it ends the review; no outcome yet.
        AvatarStatus? running = null;
        await WaitUntil(async () => (running = await AskAsync(command.SubmissionId)) is { State: "InReview", Progress: > 10 });
        Assert.Equal((command.SubmissionId, AvatarFlowKinds.Submission, false), (running!.Id, running.Kind, running.Ended));
        Assert.NotNull(running.NextCheckAt);
        Assert.True(running.Deadline > DateTimeOffset.UtcNow);
        Assert.True(running.ExpectedEndAt > running.UpdatedAt.AddSeconds(-1), $"expected end {running.ExpectedEndAt}");
        Assert.Null(running.AssetsApproved);

        // Ended: the approval, exactly as it was published.
        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var ended = await AskAsync(command.SubmissionId);
        Assert.Equal(("Approved", true, null, null), (ended!.State, ended.Ended, ended.NextCheckAt, ended.Deadline));
        Assert.Equal(approved.GroupId, ended.AssetsApproved!.GroupId);
        Assert.Equal(approved.Assets.Select(a => (a.AssetId, a.AssetUrl, a.Name)), ended.AssetsApproved.Assets.Select(a => (a.AssetId, a.AssetUrl, a.Name)));
        Assert.Null(ended.AssetsRejected);
    }

    [Fact]
    public async Task A_session_waiting_for_the_person_answers_with_its_link_and_a_failed_one_with_its_failure()
    {
        var created = await CreateSessionAsync();
        var waiting = await AskAsync(created.SessionId);
        Assert.Equal((AvatarFlowKinds.Session, "AwaitingVerification", false), (waiting!.Kind, waiting.State, waiting.Ended));
        Assert.Equal((created.H5Link, created.ExpiresAt), (waiting.SessionCreated!.H5Link, waiting.SessionCreated.ExpiresAt));

        await Simulator.CompleteH5Async(created.H5Link, pass: false);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        var ended = await AskAsync(created.SessionId);
        Assert.Equal(("VerificationFailed", true, failed.ErrorCode, failed.Reason), (ended!.State, ended.Ended, ended.ErrorCode, ended.Reason));
        Assert.Equal(failed, ended.AuthFailed);
    }

    [Fact]
    public async Task An_id_nobody_used_is_not_found()
    {
        var id = Guid.NewGuid();
        var response = await Fixture.Status.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(id));
        Assert.True(response.Is(out Response<AvatarStatusNotFound>? notFound));
        Assert.Equal(id, notFound!.Message.Id);
    }

    private async Task<AvatarStatus?> AskAsync(Guid id)
    {
        var response = await Fixture.Status.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(id));
        return response.Is(out Response<AvatarStatus>? status) ? status!.Message : null;
    }
}
