using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Testing;

namespace Avatar.IntegrationTests;

/// <summary>
/// A real PostgreSQL failover (<c>scripts/postgres-pair.sh</c>: a primary and a synchronous standby from Debian's
/// package): the primary is killed while reviews run and commands arrive, the test promotes the standby as an HA
/// manager would, and the worker, on a multi-host connection string, carries on. <c>./chaos.sh --db-failover</c> runs
/// the long version.
/// </summary>
[Trait("Category", "Failover")]
[Collection(ThirdAvatarCollection.Name)]
public sealed class FailoverTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Reviews_under_way_when_the_primary_is_lost_all_end_once_the_standby_is_promoted_and_none_is_submitted_twice()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:03" });
        var pair = await DatabasePair.UpAsync();
        var connectionString = await Fixture.Services.OnDatabase(pair).CreateDatabaseAsync($"avatar_failover_{Guid.NewGuid():N}");
        var errorsBefore = await ErrorCountAsync();

        // Only the worker on the pair runs, so every command goes to it.
        await Fixture.Worker!.DisposeAsync();
        Fixture.Worker = null;
        var run = Guid.NewGuid().ToString("N")[..8];
        List<SubmitAvatarAssets> submissions;
        try
        {
            var settings = Fixture.WorkerSettings();
            settings["ConnectionStrings:Avatar"] = connectionString;
            await using var worker = await WorkerInstance.StartAsync(settings, Fixture.Logs);
            var groupId = await Simulator.MintVerifiedGroupAsync(connectionString);
            var before = Enumerable.Range(0, 6).Select(i => Submission(groupId, $"failover-{run}-{i}")).ToList();
            var during = Enumerable.Range(6, 6).Select(i => Submission(groupId, $"failover-{run}-{i}")).ToList();
            submissions = [.. before, .. during];

            await Task.WhenAll(before.Select(s => Fixture.Publish(s)));
            // Some submitted (in review), some not yet, when the primary goes.
            await WaitUntil(async () => (await Simulator.StatsAsync()).CountStartingWith($"submit-asset:https://cdn.example/avatars/failover-{run}") >= 3);

            await pair.KillPrimaryAsync();
            await Task.WhenAll(during.Select(s => Fixture.Publish(s)));
            await Task.Delay(TimeSpan.FromSeconds(5));
            await pair.PromoteStandbyAsync();

            foreach (var submission in submissions)
            {
                await Events.WaitFor<object>(
                    e => e is AvatarAssetsApproved a && a.SubmissionId == submission.SubmissionId || e is AvatarAssetsRejected r && r.SubmissionId == submission.SubmissionId,
                    TimeSpan.FromSeconds(90));
            }
        }
        finally
        {
            Fixture.Worker = await Fixture.StartWorkerAsync();
            await pair.DownAsync();
        }

        var stats = await Simulator.StatsAsync();
        foreach (var submission in submissions)
        {
            var unknown = Events.All<AvatarAssetsRejected>(r => r.SubmissionId == submission.SubmissionId && r.ErrorCode == AvatarErrorCodes.SubmitOutcomeUnknown).Count > 0;
            var submits = stats.Count($"submit-asset:{submission.Assets[0].Url}");
            Assert.True(unknown ? submits <= 1 : submits == 1, $"{submission.SubmissionId} was submitted {submits} time(s){(unknown ? ", reported unknown" : "")}");
        }

        Assert.Equal(errorsBefore, await ErrorCountAsync());
    }
}
