using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.IntegrationTests;

/// <summary>How sessions and submissions end and go: expiry, deadlines, retention, oversized answers, start-up checks.</summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class LifecycleTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Session_whose_person_never_finishes_ends_with_token_expired_and_forgets_its_token()
    {
        var settings = new Dictionary<string, string> { ["Avatar:SessionLifetime"] = "00:00:02", ["Avatar:VerificationGrace"] = "00:00:01" };
        await Fixture.WithWorkerAsync(settings, async () =>
        {
            var created = await CreateSessionAsync();
            Assert.NotNull((await FindAsync<AvatarSession>(created.SessionId))!.BytedToken);

            var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);

            Assert.Equal(AvatarErrorCodes.TokenExpired, failed.ErrorCode);
            Assert.Contains("without AvatarAuthCompleted", failed.Reason);
            var session = (await FindAsync<AvatarSession>(created.SessionId))!;
            Assert.Equal(SessionState.VerificationFailed, session.State);
            Assert.Null(session.BytedToken);
            Assert.True(session.UpdatedAt >= created.ExpiresAt.AddSeconds(1), $"ended at {session.UpdatedAt:O}, before expiry plus grace");

            // A late AvatarAuthCompleted gets the same ending again, and xcompute is never asked.
            await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
            await WaitUntil(() => Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId).Count == 2);
            Assert.All(Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId), e => Assert.Equal(failed, e));
            Assert.Equal(0, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}"));
        });
    }

    [Fact]
    public async Task Session_creation_that_keeps_failing_transiently_ends_at_the_create_timeout()
    {
        await Simulator.AddFaultAsync(new FaultRule("503", Count: 1000, Method: "POST", PathPrefix: "/v1/seedance2"));
        await Fixture.WithWorkerAsync(new Dictionary<string, string> { ["Avatar:CreateTimeout"] = "00:00:03" }, async () =>
        {
            var sessionId = Guid.NewGuid();
            var before = DateTimeOffset.UtcNow;

            await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

            var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == sessionId, TimeSpan.FromSeconds(20));
            Assert.Equal(AvatarErrorCodes.UpstreamError, failed.ErrorCode);
            Assert.Contains("HTTP 503", failed.Reason);
            Assert.InRange(DateTimeOffset.UtcNow - before, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(15));
            Assert.True((await Simulator.StatsAsync()).Count("requests") >= 2);
        });
    }

    [Fact]
    public async Task Finished_rows_are_deleted_after_the_retention_and_open_ones_stay()
    {
        var settings = new Dictionary<string, string>
        {
            ["Avatar:Retention:Period"] = "00:00:02",
            ["Avatar:Retention:SweepInterval"] = "00:00:01",
            ["Avatar:ReviewTimeout"] = "00:05:00",
        };
        await Fixture.WithWorkerAsync(settings, async () =>
        {
            await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
            var groupId = await MintGroupAsync();
            var finished = Submission(groupId, "front");
            var open = Submission(groupId, "stuck-forever");
            await Fixture.Publish(finished);
            await Fixture.Publish(open);
            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == finished.SubmissionId);

            await WaitUntil(async () => await FindAsync<AvatarSubmission>(finished.SubmissionId) is null, seconds: 30);
            var stillOpen = (await FindAsync<AvatarSubmission>(open.SubmissionId))!;
            Assert.Equal(SubmissionState.InReview, stillOpen.State);

            // End it, so it polls no more during the tests that follow.
            await Simulator.CancelTaskAsync(stillOpen.TaskId!);
            await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == open.SubmissionId);
        });
    }

    [Fact]
    public async Task An_upstream_message_longer_than_its_column_is_cut_and_the_usable_assets_are_kept()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01", reviewFailureMessage = new string('x', 5000) });
        var command = Submission(await MintGroupAsync(), "front", "side-reject");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
        Assert.Equal(2048, rejected.Reason.Length);
        Assert.Equal("front", Assert.Single(rejected.UsableAssets).Name);
        var stored = (await FindAsync<AvatarSubmission>(command.SubmissionId))!;
        Assert.Equal(SubmissionState.Rejected, stored.State);
        Assert.Single(stored.UsableAssets);
    }

    [Fact]
    public async Task A_command_whose_save_fails_twice_is_retried_and_never_reaches_the_error_queue()
    {
        var sessionId = Guid.NewGuid();
        var name = $"fail_{sessionId:N}";

        // The first two inserts of this session fail inside the database; the third goes through. Only a Guid goes
        // into the DDL, which takes no parameters.
        var install = $"""
                CREATE SEQUENCE avatar.{name};
                CREATE FUNCTION avatar.{name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW."Id" = '{sessionId}' AND nextval('avatar.{name}') <= 2 THEN
                        RAISE EXCEPTION 'simulated database failure';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER {name} BEFORE INSERT ON avatar.sessions FOR EACH ROW EXECUTE FUNCTION avatar.{name}();
                """;
        await using (var db = Fixture.Db())
        {
            await db.Database.ExecuteSqlRawAsync(install);
        }

        try
        {
            await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

            await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
            await using var db = Fixture.Db();
            var calls = $"""SELECT last_value AS "Value" FROM avatar.{name}""";
            Assert.Equal(3L, await db.Database.SqlQueryRaw<long>(calls).SingleAsync());
            Assert.Contains(Fixture.Logs.Lines, l => l.Contains("simulated database failure", StringComparison.Ordinal));
        }
        finally
        {
            await using var db = Fixture.Db();
            var uninstall = $"DROP TRIGGER {name} ON avatar.sessions; DROP FUNCTION avatar.{name}(); DROP SEQUENCE avatar.{name};";
            await db.Database.ExecuteSqlRawAsync(uninstall);
        }
    }

    [Fact]
    public async Task A_lease_not_longer_than_two_request_timeouts_stops_the_worker_at_start()
    {
        var settings = Fixture.WorkerSettings();
        settings["XCompute:RequestTimeout"] = "00:00:05";
        settings["Avatar:Polling:Lease"] = "00:00:10";

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerInstance.StartAsync(settings));

        Assert.Contains("Avatar:Polling:Lease must be more than twice XCompute:RequestTimeout", refused.Message);
    }

    [Fact]
    public async Task A_bad_nested_setting_stops_the_worker_at_start_and_the_message_names_it()
    {
        var settings = Fixture.WorkerSettings();
        settings["Avatar:Polling:Multiplier"] = "0.5";

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerInstance.StartAsync(settings));

        Assert.Contains("'WorkflowOptions.Polling' members: 'Multiplier'", refused.Message);
    }
}
