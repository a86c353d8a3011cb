using System.Data.Common;
using Avatar.Admin;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Avatar.IntegrationTests;

/// <summary>
/// Two writers of one flow, interleaved at the worst moment on the real PostgreSQL: the second to save read the row
/// before the first saved it. Every interleaving is forced (an interceptor runs the first writer right after the
/// second one's read), never left to timing. The row keeps the first writer's ending, and the second gets that
/// ending's event, never one of its own.
/// </summary>
[Collection(AvatarCollection.Name)]
public sealed class FlowRaceTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Abandon_while_the_last_poll_saves_the_approval_leaves_one_outcome_the_approval()
    {
        var id = await InsertInReviewAsync();

        // avatar-admin abandon reads the review in progress; before it writes, the worker's last poll saves the approval.
        var worker = new RunAfterRead("submissions", async () =>
        {
            await using var db = Fixture.Db();
            var row = await db.Submissions.SingleAsync(s => s.Id == id);
            row.Approve([new ReviewedAsset { AssetId = "asset-1", AssetUrl = "asset://1", Name = "front", Status = "approved" }], DateTimeOffset.UtcNow);
            row.Schedule.Release(null);
            row.UpdatedAt = DateTimeOffset.UtcNow;
            Assert.True(await db.TrySaveAsync(default));
        });
        await using var admin = AvatarDbContext.Open(Fixture.ConnectionString, worker);

        var outcome = await Abandonment.EndAsync(admin, id, "abandoned by an operator: test", TextWriter.Null, default);

        Assert.True(worker.Ran);
        Assert.IsType<AvatarAssetsApproved>(outcome?.Outcome);
        Assert.Equal(SubmissionState.Approved, (await FindAsync<AvatarSubmission>(id))!.State);
    }

    [Fact]
    public async Task A_step_that_read_the_review_before_an_operator_abandoned_it_saves_nothing()
    {
        var id = await InsertInReviewAsync();
        await using var db = Fixture.Db();
        var row = await db.Submissions.SingleAsync(s => s.Id == id);

        // Meanwhile an operator abandons it.
        await using (var admin = Fixture.Db())
        {
            Assert.IsType<AvatarAssetsRejected>((await Abandonment.EndAsync(admin, id, "abandoned by an operator: test", TextWriter.Null, default))?.Outcome);
        }

        row.Approve([new ReviewedAsset { AssetId = "asset-1", AssetUrl = "asset://1", Name = "front", Status = "approved" }], DateTimeOffset.UtcNow);
        row.Schedule.Release(null);
        row.UpdatedAt = DateTimeOffset.UtcNow;
        Assert.False(await db.TrySaveAsync(default));
        var stored = (await FindAsync<AvatarSubmission>(id))!;
        Assert.Equal((SubmissionState.Rejected, AvatarErrorCodes.Abandoned), (stored.State, stored.ErrorCode));
    }

    [Fact]
    public async Task A_completion_read_before_the_expiry_poll_ended_the_session_cannot_reopen_it()
    {
        var id = Guid.NewGuid();
        await using (var setup = Fixture.Db())
        {
            var now = DateTimeOffset.UtcNow;
            var session = AvatarSession.Open(id, null, CallbackFor(id), "default", "f", now);
            session.LinkReady("https://h5.example/x", "v1:sealed", now.AddMinutes(2));
            session.Schedule.LeaseToken = Guid.NewGuid();
            session.Schedule.NextPollAt = now.AddMinutes(3);
            session.Schedule.Deadline = now.AddMinutes(3);
            session.UpdatedAt = now;
            setup.Add(session);
            await setup.SaveChangesAsync();
        }

        // AvatarAuthCompletedConsumer reads the session still awaiting its person...
        await using var consumer = Fixture.Db();
        var read = await consumer.Sessions.SingleAsync(s => s.Id == id);

        // ...the expiry poll ends it meanwhile...
        await using (var poll = Fixture.Db())
        {
            var expiring = await poll.Sessions.SingleAsync(s => s.Id == id);
            expiring.FailVerification(AvatarErrorCodes.TokenExpired, "expired");
            expiring.Schedule.Release(null);
            expiring.UpdatedAt = DateTimeOffset.UtcNow;
            Assert.True(await poll.TrySaveAsync(default));
        }

        // ...and the consumer's claim for step 2 (a new lease, as Schedule.Claim writes) fails instead of reopening it.
        read.StartVerification();
        read.Schedule.Claim(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        read.UpdatedAt = DateTimeOffset.UtcNow;
        Assert.False(await consumer.TrySaveAsync(default));
        Assert.Equal(SessionState.VerificationFailed, (await FindAsync<AvatarSession>(id))!.State);
    }

    /// <summary>A submission in review as a worker holding it left it: lease token of its hold, due at the hold's end.</summary>
    private async Task<Guid> InsertInReviewAsync()
    {
        var id = Guid.NewGuid();
        await using var db = Fixture.Db();
        var now = DateTimeOffset.UtcNow;
        db.Add(new AvatarSubmission
        {
            Id = id,
            GroupId = "g-race",
            ProjectName = "default",
            Assets = [new SubmittedAsset { Url = "https://cdn.example/a.mp4", Name = "front" }],
            State = SubmissionState.InReview,
            TaskId = "task-race",
            CreatedAt = now,
            UpdatedAt = now,
            Schedule = { LeaseToken = Guid.NewGuid(), NextPollAt = now.AddHours(1), Deadline = now.AddHours(2) },
        });
        await db.SaveChangesAsync();
        return id;
    }

    /// <summary>Runs <paramref name="between"/> once, right after the first query that reads <paramref name="table"/> returned.</summary>
    private sealed class RunAfterRead(string table, Func<Task> between) : DbCommandInterceptor
    {
        public bool Ran { get; private set; }

        private bool Reads(string sql) =>
            System.Text.RegularExpressions.Regex.IsMatch(sql, $"FROM {AvatarDbContext.Schema}\\.\"?{table}\\b");

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(
            DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (!Ran && command.CommandText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && Reads(command.CommandText))
            {
                Ran = true;
                await between();
            }

            return result;
        }
    }
}

/// <summary>The harness's own check of the promise (<see cref="EventLog.Conflicts"/>), which the fixture runs once for the whole suite.</summary>
public sealed class OutcomeConflictTests
{
    [Fact]
    public void A_planted_second_outcome_is_caught_and_copies_and_refusals_are_not()
    {
        var log = new EventLog();
        var (session, submission) = (Guid.NewGuid(), Guid.NewGuid());
        log.Add(new AvatarSessionCreated(session, "https://h5.example/x", DateTimeOffset.UtcNow));
        log.Add(new AvatarAuthVerified(session, "g"));
        log.Add(new AvatarAuthVerified(session, "g"));
        log.Add(new AvatarCommandRefused(nameof(AvatarAuthCompleted), session, Guid.NewGuid(), AvatarErrorCodes.FlowEnded, "r"));
        log.Add(new AvatarAssetsApproved(submission, "g", []));
        Assert.Empty(log.Conflicts());

        // The planted conflict: the same review also rejected.
        log.Add(new AvatarAssetsRejected(submission, "g", [], [], AvatarErrorCodes.Abandoned, "r"));
        Assert.Equal([$"{submission}: AvatarAssetsApproved, AvatarAssetsRejected(abandoned)"], log.Conflicts());

        // A created session that also failed its creation, and a verified one that also failed.
        var (both, twice) = (Guid.NewGuid(), Guid.NewGuid());
        log.Add(new AvatarSessionCreated(both, "https://h5.example/y", DateTimeOffset.UtcNow));
        log.Add(new AvatarSessionFailed(both, AvatarErrorCodes.IdReused, "r"));
        log.Add(new AvatarAuthVerified(twice, "g"));
        log.Add(new AvatarAuthFailed(twice, AvatarErrorCodes.TokenExpired, "r"));
        Assert.Equal(3, log.Conflicts().Count);
    }
}
