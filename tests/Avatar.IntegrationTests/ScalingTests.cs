using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

[Collection(SecondAvatarCollection.Name)]
public sealed class ScalingTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Two_instances_finish_every_review_and_never_poll_one_review_at_once()
    {
        // Slow answers widen the window in which two instances could overlap on one review.
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:02", latencyMs = 150 });
        await using var second = await Fixture.StartWorkerAsync();
        var groupId = await MintGroupAsync();
        var commands = Enumerable.Range(0, 12).Select(i => Submission(groupId, $"front-{i}", i % 3 == 0 ? $"side-reject-{i}" : $"smile-{i}")).ToList();

        await Task.WhenAll(commands.Select(c => Fixture.Publish(c)));

        foreach (var command in commands)
        {
            await Events.WaitFor<object>(
                e => e is AvatarAssetsApproved a && a.SubmissionId == command.SubmissionId || e is AvatarAssetsRejected r && r.SubmissionId == command.SubmissionId,
                TimeSpan.FromSeconds(45));
        }

        await using var db = Fixture.Db();
        var ids = commands.Select(c => c.SubmissionId).ToList();
        var taskIds = await db.Submissions.Where(s => ids.Contains(s.Id)).Select(s => s.TaskId!).ToListAsync();
        var stats = await Simulator.StatsAsync();
        Assert.Equal(12, taskIds.Count);
        Assert.Equal(12, stats.Count($"submit:{groupId}"));
        Assert.All(taskIds, id =>
        {
            Assert.True(stats.Polls[id].Count >= 2, $"{id} was polled {stats.Polls[id].Count} time(s)");
            Assert.Equal(1, stats.Polls[id].MaxConcurrent);
        });
        Assert.Equal(4, Events.All<AvatarAssetsRejected>(e => ids.Contains(e.SubmissionId)).Count);

        // Both instances took part: each submitted or ended some of the reviews.
        Assert.All(new[] { Fixture.Worker!, second }, worker => Assert.Contains(worker.Logs.Lines, l =>
            ids.Any(id => l.Contains($"Submission {id} ", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task A_killed_worker_loses_nothing_and_another_instance_finishes_its_reviews()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:04" });
        var groupId = await MintGroupAsync();

        // Only the process we are about to kill runs now.
        await Fixture.Worker!.DisposeAsync();
        Fixture.Worker = null;
        var command = Submission(groupId, "front", "side-reject");
        try
        {
            using (var doomed = WorkerProcess.Start(Fixture.WorkerSettings()))
            {
                await doomed.WaitUntilStartedAsync(TimeSpan.FromMinutes(1));
                await Fixture.Publish(command);
                await WaitUntil(() => PolledAtLeastOnce(command.SubmissionId), seconds: 40);
                doomed.Kill();
            }

            await using (var db = Fixture.Db())
            {
                var stranded = await db.Submissions.SingleAsync(s => s.Id == command.SubmissionId);
                Assert.Equal(SubmissionState.InReview, stranded.State);
            }

            Assert.Empty(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId));
        }
        finally
        {
            Fixture.Worker = await Fixture.StartWorkerAsync();
        }

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId, TimeSpan.FromSeconds(40));
        Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
        Assert.Equal("front", Assert.Single(rejected.UsableAssets).Name);
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    private bool PolledAtLeastOnce(Guid submissionId)
    {
        using var db = Fixture.Db();
        return db.Submissions.Any(s => s.Id == submissionId && s.State == SubmissionState.InReview && s.Schedule.PollAttempts >= 1);
    }
}
