using System.Net;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Testing;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.IntegrationTests;

/// <summary>
/// Races through the running worker: its consumers are held at a pause point in their own save (<see cref="SavePause"/>)
/// while the other writer goes ahead, so each interleaving is forced rather than left to timing. Whatever the order,
/// a flow gets one outcome, and xcompute is asked once.
/// </summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class ConsumerRaceTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The expiry poll holds the session and decides it expired; before it saves, the completion (the caller's
    /// <c>AvatarAuthCompleted</c>, or the person's browser at the worker's H5 callback) reads the session still
    /// awaiting its person; then the poll saves, and only then the completion's consumer claims step 2. Both read the
    /// same lease, so only the row's version tells them apart.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_completion_read_while_the_expiry_poll_saves_ends_the_session_once(bool viaCallback)
    {
        var sessionId = Guid.NewGuid();
        var expiry = SavePause.Of<AvatarSession>(sessionId, s => s.State == SessionState.VerificationFailed);
        var completion = SavePause.Of<AvatarSession>(sessionId, s => s.State == SessionState.Verifying);
        var settings = new Dictionary<string, string>(viaCallback ? CallbackReceiverTests.Receiver : [])
        {
            ["Avatar:SessionLifetime"] = "00:00:02",
            ["Avatar:VerificationGrace"] = "00:00:01",
        };

        await Fixture.WithWorkerAsync(settings, async worker =>
        {
            var created = await CreateSessionAsync(sessionId);
            var link = await Simulator.CompleteH5Async(created.H5Link);
            await expiry.Reached.WaitAsync(Patience);

            if (viaCallback)
            {
                Assert.Equal(HttpStatusCode.Redirect, (await CallbackReceiverTests.FollowAsync(worker, link)).StatusCode);
            }
            else
            {
                await Fixture.Publish(new AvatarAuthCompleted(sessionId));
            }

            await completion.Reached.WaitAsync(Patience);
            expiry.Release();
            if (viaCallback)
            {
                // The callback marked the session when the browser came back: that write came first, so the expiry's
                // save fails, and the completion goes on to step 2.
                await WaitUntil(() => worker.Logs.Contains($"Flow {sessionId} changed while this step worked on it"));
                completion.Release();
                await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == sessionId);
                Assert.Equal(1, await VerificationQueriesAsync(sessionId));
                Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == sessionId));
            }
            else
            {
                var expired = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == sessionId);
                Assert.Equal(AvatarErrorCodes.TokenExpired, expired.ErrorCode);
                completion.Release();
                await WaitUntil(() => worker.Logs.Contains($"Session {sessionId} changed while this command was applied"));
                Assert.Equal(SessionState.VerificationFailed, (await FindAsync<AvatarSession>(sessionId))!.State);
                Assert.Equal(0, await VerificationQueriesAsync(sessionId));
                Assert.Empty(Events.All<AvatarAuthVerified>(e => e.SessionId == sessionId));
            }
        }, services => services.AddSingleton<IInterceptor>(expiry).AddSingleton<IInterceptor>(completion));
    }

    [Fact]
    public Task One_SubmitAvatarAssets_delivered_to_two_instances_at_once_is_submitted_once() => OnTwoInstancesAsync(
        async (pauseFor, publish) =>
        {
            await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
            var command = Submission(await MintGroupAsync(), "front");
            var pause = pauseFor(SavePause.Of<AvatarSubmission>(command.SubmissionId, s => s.State == SubmissionState.Submitting, parties: 2));
            await publish(command);
            await publish(command);
            await pause.Reached.WaitAsync(Patience);
            pause.Release();

            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
            await WaitUntil(async () => (await Simulator.StatsAsync()).Count($"submit:{command.GroupId}") >= 1);
            return (command.SubmissionId, $"Submission {command.SubmissionId} is in review", $"Submission {command.SubmissionId} already exists");
        },
        async id =>
        {
            var submission = (await FindAsync<AvatarSubmission>(id))!;
            Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{submission.GroupId}"));
            Assert.Empty(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == id));
        });

    [Fact]
    public Task One_CreateAvatarSession_delivered_to_two_instances_at_once_creates_one_session() => OnTwoInstancesAsync(
        async (pauseFor, publish) =>
        {
            var id = Guid.NewGuid();
            var pause = pauseFor(SavePause.Of<AvatarSession>(id, s => s.State == SessionState.Creating, parties: 2));
            var command = new CreateAvatarSession(id, CallbackFor(id), null);
            await publish(command);
            await publish(command);
            await pause.Reached.WaitAsync(Patience);
            pause.Release();

            await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == id);
            return (id, $"Session {id} created", $"Session {id} already exists");
        },
        async id =>
        {
            Assert.Equal(1, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(id)}"));
            Assert.Empty(Events.All<AvatarSessionFailed>(e => e.SessionId == id));
        });

    [Fact]
    public Task Two_different_CreateAvatarSession_with_one_id_at_once_create_one_session_and_refuse_the_other() => OnTwoInstancesAsync(
        async (pauseFor, publish) =>
        {
            var id = Guid.NewGuid();
            var pause = pauseFor(SavePause.Of<AvatarSession>(id, s => s.State == SessionState.Creating, parties: 2));
            await publish(new CreateAvatarSession(id, CallbackFor(id), null));
            await publish(new CreateAvatarSession(id, CallbackFor(id), "another-project"));
            await pause.Reached.WaitAsync(Patience);
            pause.Release();

            await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == id);
            var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == id);
            Assert.Equal((nameof(CreateAvatarSession), AvatarErrorCodes.IdReused), (refused.CommandType, refused.ErrorCode));
            return (id, $"Session {id} created", $"Refused CreateAvatarSession {id}");
        },
        async id =>
        {
            Assert.Equal(1, (await Simulator.StatsAsync()).Count($"create:{CallbackFor(id)}"));
            Assert.Empty(Events.All<AvatarSessionFailed>(e => e.SessionId == id));
        });

    [Fact]
    public Task One_AvatarAuthCompleted_delivered_to_two_instances_at_once_queries_xcompute_once() => OnTwoInstancesAsync(
        async (pauseFor, publish) =>
        {
            var created = await CreateSessionAsync();
            var id = created.SessionId;
            await Simulator.CompleteH5Async(created.H5Link);
            var pause = pauseFor(SavePause.Of<AvatarSession>(id, s => s.State == SessionState.Verifying, parties: 2));
            await publish(new AvatarAuthCompleted(id));
            await publish(new AvatarAuthCompleted(id));
            await pause.Reached.WaitAsync(Patience);
            pause.Release();

            await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == id);
            return (id, $"Session {id} verified", $"Session {id} changed while this command was applied");
        },
        async id =>
        {
            Assert.Equal(1, await VerificationQueriesAsync(id));
            Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == id));
        });

    /// <summary>
    /// Runs <paramref name="race"/> with two worker instances that share one pause point (the race sets it, by the
    /// function it is given, before it publishes) and checks that the two copies were handled by the two instances: one
    /// logged the winner's line, the other the loser's. Then <paramref name="check"/> looks at what xcompute saw.
    /// </summary>
    private Task OnTwoInstancesAsync(
        Func<Func<SavePause, SavePause>, Func<object, Task>, Task<(Guid Id, string Winner, string Loser)>> race, Func<Guid, Task> check)
    {
        var pauses = new PauseSlot();
        return Fixture.WithWorkerAsync(new Dictionary<string, string>(), async first =>
        {
            await using var second = await WorkerInstance.StartAsync(Fixture.WorkerSettings(), Fixture.Logs, pauses.Register);
            var (id, winner, loser) = await race(pauses.Set, command => Fixture.Bus.Publish(command));

            await WaitUntil(() => first.Logs.Contains(loser) || second.Logs.Contains(loser));
            Assert.True(
                (first.Logs.Contains(winner) && second.Logs.Contains(loser)) || (second.Logs.Contains(winner) && first.Logs.Contains(loser)),
                "the two copies were not handled by the two instances");
            await check(id);

            // A race lost is a case handled: no instance writes an error line about it, which would wake whoever
            // alerts on errors for nothing.
            Assert.DoesNotContain(first.Logs.Lines.Concat(second.Logs.Lines), l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
        }, pauses.Register);
    }


    /// <summary>One pause point for two instances, set once the race knows its flow id.</summary>
    private sealed class PauseSlot : SaveChangesInterceptor
    {
        private SavePause? pause;

        public void Register(IServiceCollection services) => services.AddSingleton<IInterceptor>(this);

        public SavePause Set(SavePause value) => pause = value;

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            pause?.SavingChangesAsync(eventData, result, cancellationToken) ?? ValueTask.FromResult(result);
    }
}
