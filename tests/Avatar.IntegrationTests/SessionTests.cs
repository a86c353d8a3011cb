using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Simulator;
using Microsoft.EntityFrameworkCore;

namespace Avatar.IntegrationTests;

[Collection(AvatarCollection.Name)]
public sealed class SessionTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Created_session_publishes_its_h5_link_and_expiry()
    {
        var before = DateTimeOffset.UtcNow;
        var created = await CreateSessionAsync();

        Assert.StartsWith(Simulator.BaseAddress.ToString().TrimEnd('/') + "/h5/", created.H5Link);
        Assert.InRange(created.ExpiresAt, before.AddSeconds(115), DateTimeOffset.UtcNow.AddSeconds(121));

        await using var db = Fixture.Db();
        var session = await db.Sessions.SingleAsync(s => s.Id == created.SessionId);
        Assert.Equal(SessionState.AwaitingVerification, session.State);
        Assert.NotNull(session.BytedToken);
        Assert.Equal(created.ExpiresAt.AddSeconds(30), session.Schedule.NextPollAt);
    }

    [Fact]
    public async Task The_byted_token_is_stored_sealed_and_still_spent_at_step_2()
    {
        var created = await CreateSessionAsync();

        await using (var db = Fixture.Db())
        {
            var stored = (await db.Sessions.SingleAsync(s => s.Id == created.SessionId)).BytedToken!;
            Assert.StartsWith("v1:", stored);
            Assert.DoesNotContain(await Simulator.TokensAsync(), token => stored.Contains(token, StringComparison.Ordinal));
        }

        await Simulator.CompleteH5Async(created.H5Link);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
    }

    [Theory]
    [InlineData(Step2Shape.Inline)]
    [InlineData(Step2Shape.Result)]
    [InlineData(Step2Shape.RawResponse)]
    [InlineData(Step2Shape.Task)]
    public async Task Verification_publishes_the_group_whatever_shape_step_2_answers_in(Step2Shape shape)
    {
        await Simulator.ConfigureAsync(new { step2Shape = shape });
        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);

        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));

        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        Assert.StartsWith("group-", verified.GroupId);
        await using var db = Fixture.Db();
        var session = await db.Sessions.SingleAsync(s => s.Id == created.SessionId);
        Assert.Equal(SessionState.Verified, session.State);
        Assert.Equal(verified.GroupId, session.GroupId);
        Assert.Null(session.BytedToken);
    }

    [Theory]
    [InlineData(Step2Shape.Result, PendingReply.Error)]
    [InlineData(Step2Shape.Inline, PendingReply.Body)]
    [InlineData(Step2Shape.Task, PendingReply.Error)]
    public async Task Verification_still_pending_is_retried_until_the_person_finishes(Step2Shape shape, PendingReply pending)
    {
        await Simulator.ConfigureAsync(new { step2Shape = shape, pendingReply = pending });
        var created = await CreateSessionAsync();

        // The caller reports completion before the person is actually done: xcompute is asked again, or its task
        // polled, until the person finishes; counted for this session only (its own callback URL, its own task).
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        await WaitUntil(async () => await AskedAboutAsync(created.SessionId) >= 3);
        Assert.Empty(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId));
        Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId));

        await Simulator.CompleteH5Async(created.H5Link);

        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        Assert.StartsWith("group-", verified.GroupId);
    }

    [Fact]
    public async Task Verification_after_the_token_expired_fails_with_token_expired()
    {
        await Simulator.ConfigureAsync(new { tokenLifetime = "00:00:01" });
        var created = await CreateSessionAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));

        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        Assert.Equal(AvatarErrorCodes.TokenExpired, failed.ErrorCode);
        await using var db = Fixture.Db();
        var session = await db.Sessions.SingleAsync(s => s.Id == created.SessionId);
        Assert.Equal(SessionState.VerificationFailed, session.State);
        Assert.Null(session.BytedToken);
    }

    [Theory]
    [InlineData(Step2Shape.Result)]
    [InlineData(Step2Shape.Task)]
    public async Task Person_failing_the_h5_page_gives_verification_failed(Step2Shape shape)
    {
        await Simulator.ConfigureAsync(new { step2Shape = shape });
        var created = await CreateSessionAsync();
        var redirect = await Simulator.CompleteH5Async(created.H5Link, pass: false);
        Assert.Contains("resultCode=10001", redirect.Query);

        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));

        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        Assert.Equal(AvatarErrorCodes.VerificationFailed, failed.ErrorCode);
    }

    [Fact]
    public async Task Auth_completed_for_an_unknown_session_is_refused_with_its_message_id()
    {
        var sessionId = Guid.NewGuid();
        var messageId = Guid.NewGuid();

        await Fixture.Bus.Publish(new AvatarAuthCompleted(sessionId), MassTransit.Pipe.Execute<MassTransit.PublishContext<AvatarAuthCompleted>>(c => c.MessageId = messageId));

        var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == sessionId);
        Assert.Equal((nameof(AvatarAuthCompleted), messageId, AvatarErrorCodes.UnknownFlow), (refused.CommandType, refused.MessageId, refused.ErrorCode));
        Assert.Contains(sessionId.ToString(), refused.Reason);
        Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == sessionId));
    }

    [Fact]
    public async Task Duplicate_create_commands_call_xcompute_once_and_repeat_the_outcome()
    {
        var sessionId = Guid.NewGuid();
        var command = new CreateAvatarSession(sessionId, CallbackFor(sessionId), "default");

        await Task.WhenAll(Fixture.Publish(command), Fixture.Publish(command));
        var first = await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
        await Fixture.Publish(command);
        await WaitUntil(() => Events.All<AvatarSessionCreated>(e => e.SessionId == sessionId).Count >= 2);

        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(sessionId)}"));
        Assert.All(Events.All<AvatarSessionCreated>(e => e.SessionId == sessionId), e => Assert.Equal(first, e));
    }

    [Fact]
    public async Task Duplicate_auth_completed_queries_xcompute_once()
    {
        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);

        await Task.WhenAll(Fixture.Publish(new AvatarAuthCompleted(created.SessionId)), Fixture.Publish(new AvatarAuthCompleted(created.SessionId)));
        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        await WaitUntil(() => Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId).Count >= 2);

        // Tokens are single-use in the simulator: a second query would have failed the session.
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}"));
        Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId));
        Assert.All(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId), e => Assert.Equal(verified, e));
    }

    [Theory]
    [InlineData("401", AvatarErrorCodes.Unauthorized)]
    [InlineData("402", AvatarErrorCodes.PaymentRequired)]
    [InlineData("400", AvatarErrorCodes.InvalidRequest)]
    public async Task Xcompute_refusing_to_create_a_session_gives_session_failed(string status, string errorCode)
    {
        await Simulator.AddFaultAsync(new FaultRule(status, Method: "POST", PathPrefix: "/v1/seedance2"));
        var sessionId = Guid.NewGuid();

        await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

        var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == sessionId);
        Assert.Equal(errorCode, failed.ErrorCode);
        Assert.Contains($"HTTP {status}", failed.Reason);
    }

    [Fact]
    public async Task Transient_failures_while_creating_a_session_are_retried()
    {
        await Simulator.AddFaultAsync(new FaultRule("503", Count: 2, Method: "POST", PathPrefix: "/v1/seedance2"));
        await Simulator.AddFaultAsync(new FaultRule("500", Count: 1, Method: "GET", PathPrefix: "/v1/tasks"));

        var created = await CreateSessionAsync();

        Assert.StartsWith(Simulator.BaseAddress.ToString().TrimEnd('/') + "/h5/", created.H5Link);
    }

    [Fact]
    public async Task Verification_still_pending_when_the_session_expires_fails_with_token_expired()
    {
        // xcompute keeps saying "not finished"; the worker's own clock ends it.
        var settings = new Dictionary<string, string> { ["Avatar:SessionLifetime"] = "00:00:03", ["Avatar:VerificationGrace"] = "00:00:01" };
        await Fixture.WithWorkerAsync(settings, async () =>
        {
            var before = DateTimeOffset.UtcNow;
            var created = await CreateSessionAsync();
            Assert.InRange(created.ExpiresAt, before.AddSeconds(3), DateTimeOffset.UtcNow.AddSeconds(3));

            await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));

            var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
            Assert.Equal(AvatarErrorCodes.TokenExpired, failed.ErrorCode);
            Assert.Contains("create a new session", failed.Reason);
            Assert.True((await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}") >= 2);
        });
    }

    [Fact]
    public async Task Auth_completed_while_the_session_is_still_being_created_is_refused_and_the_session_goes_on()
    {
        // Step 1 takes three seconds at xcompute; the caller reports completion before any link went out.
        await Simulator.AddFaultAsync(new FaultRule("delay", Method: "POST", PathPrefix: "/v1/seedance2", DelayMs: 3000));
        var sessionId = Guid.NewGuid();
        await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));
        await WaitUntil(async () => await FindAsync<AvatarSession>(sessionId) is { State: SessionState.Creating });

        await Fixture.Publish(new AvatarAuthCompleted(sessionId));

        var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == sessionId);
        Assert.Equal(AvatarErrorCodes.FlowNotReady, refused.ErrorCode);
        Assert.Contains("has no H5 link yet", refused.Reason);
        await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
        Assert.Equal(0, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(sessionId)}"));

        // The refusal was not an outcome: the session waits for its person and ends in one outcome of its own.
        Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == sessionId));
        Assert.Equal(SessionState.AwaitingVerification, (await FindAsync<AvatarSession>(sessionId))!.State);
    }

    [Fact]
    public async Task Verification_task_that_ends_pending_never_sends_the_token_again()
    {
        await Simulator.ConfigureAsync(new { step2Shape = Step2Shape.Task, step2TaskEndsPending = true });
        var created = await CreateSessionAsync();

        // The caller reports completion before the person finished; xcompute's task ends "not finished yet".
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));

        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        Assert.Equal(AvatarErrorCodes.TokenExpired, failed.ErrorCode);
        Assert.Contains("not sent again", failed.Reason);
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"verify:{CallbackFor(created.SessionId)}"));
        Assert.Null((await FindAsync<AvatarSession>(created.SessionId))!.BytedToken);
    }

    /// <summary>Step-2 queries sent for this session plus polls of its verification task.</summary>
    private async Task<int> AskedAboutAsync(Guid sessionId)
    {
        var stats = await Simulator.StatsAsync();
        await using var db = Fixture.Db();
        var taskId = await db.Sessions.Where(s => s.Id == sessionId).Select(s => s.VerificationTaskId).SingleAsync();
        return stats.Count($"verify:{CallbackFor(sessionId)}") + (taskId is null ? 0 : stats.Polls.GetValueOrDefault(taskId)?.Count ?? 0);
    }
}
