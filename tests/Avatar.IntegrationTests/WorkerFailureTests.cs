using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

[Collection(SecondAvatarCollection.Name)]
public sealed class WorkerFailureTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Row_whose_steps_keep_failing_inside_the_worker_ends_with_upstream_error()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:01:00" });
        var groupId = await MintGroupAsync();
        var command = Submission(groupId, "front");
        var trigger = $"fail_{command.SubmissionId:N}";

        // Each claim that begins work and stores nothing counts once: the second lapsed claim gives up, well before the deadline.
        var settings = new Dictionary<string, string> { ["Avatar:Polling:MaxUnfinishedAttempts"] = "1", ["Avatar:ReviewTimeout"] = "00:01:00" };
        await Fixture.WithWorkerAsync(settings, async () =>
        {
            await Fixture.Publish(command);
            await WaitUntil(() => State(command.SubmissionId) == SubmissionState.InReview);

            // From now on, every save that schedules another poll of this row fails inside the database.
            // Only a Guid goes into the DDL, which takes no parameters.
            var install = $"""
                    CREATE FUNCTION avatar.{trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW."Id" = '{command.SubmissionId}' AND NEW."PollAttempts" > OLD."PollAttempts" THEN
                            RAISE EXCEPTION 'simulated database failure';
                        END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER {trigger} BEFORE UPDATE ON avatar.submissions FOR EACH ROW EXECUTE FUNCTION avatar.{trigger}();
                    """;
            await using (var db = Fixture.Db())
            {
                await db.Database.ExecuteSqlRawAsync(install);
            }

            try
            {
                var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId, TimeSpan.FromSeconds(60));
                Assert.Equal(AvatarErrorCodes.UpstreamError, rejected.ErrorCode);
                Assert.Contains("gave up", rejected.Reason);
                Assert.Equal(SubmissionState.Rejected, State(command.SubmissionId));
            }
            finally
            {
                var uninstall = $"DROP TRIGGER {trigger} ON avatar.submissions; DROP FUNCTION avatar.{trigger}();";
                await using var db = Fixture.Db();
                await db.Database.ExecuteSqlRawAsync(uninstall);
            }
        });
    }

    private SubmissionState? State(Guid submissionId)
    {
        using var db = Fixture.Db();
        return db.Submissions.Where(s => s.Id == submissionId).Select(s => (SubmissionState?)s.State).SingleOrDefault();
    }
}
