using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Simulator;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

/// <summary>
/// xcompute is a distributed gateway whose reads may lag its writes: a task a POST just returned can be "not found" for
/// a moment. The simulator plays that lag (<c>readLag</c>); the worker's grace (<c>XCompute:NewTaskGrace</c>) is 3 s here.
/// </summary>
[Collection(AvatarCollection.Name)]
public sealed class ReadLagTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task A_task_unknown_for_a_moment_after_its_POST_is_polled_until_it_shows_at_steps_1_2_and_3()
    {
        await Simulator.ConfigureAsync(new { readLag = "00:00:01.500", step2Shape = Step2Shape.Task, reviewDuration = "00:00:01" });

        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        var command = Submission(verified.GroupId, "front");
        await Fixture.Publish(command);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);

        // Each of the three tasks was answered 404 at least once before it showed.
        await using var db = Fixture.Db();
        var session = await db.Sessions.SingleAsync(s => s.Id == created.SessionId);
        var submission = await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId);
        var stats = await Simulator.StatsAsync();
        Assert.All(
            new[] { session.CreateTaskId, session.VerificationTaskId, submission.TaskId },
            id => Assert.True(stats.Count($"task-lagging:{id}") >= 1, $"task {id} was never read while it lagged"));
    }

    [Fact]
    public async Task A_task_still_unknown_after_the_grace_ends_its_step_with_task_not_found()
    {
        await Simulator.ConfigureAsync(new { readLag = "00:01:00" });
        var sessionId = Guid.NewGuid();
        var sent = DateTimeOffset.UtcNow;

        await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

        var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == sessionId);
        Assert.Equal(AvatarErrorCodes.TaskNotFound, failed.ErrorCode);
        Assert.True(DateTimeOffset.UtcNow - sent >= TimeSpan.FromSeconds(3), "the step ended before the grace ran out");
        Assert.True((await Simulator.StatsAsync()).CountStartingWith("task-lagging:") >= 2);
    }
}
