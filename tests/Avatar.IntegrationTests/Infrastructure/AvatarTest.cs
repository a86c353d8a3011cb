using Avatar.Contracts;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>The base of every scenario: a clean simulator and helpers that walk the steps as a caller would.</summary>
public abstract class AvatarTest(AvatarFixture fixture) : IAsyncLifetime
{
    protected AvatarFixture Fixture { get; } = fixture;

    protected EventLog Events => Fixture.Events;

    protected SimulatorClient Simulator => Fixture.Simulator;

    public virtual Task InitializeAsync() => Simulator.ResetAsync();

    /// <summary>
    /// After every scenario: no worker logged a secret, and no flow received two different outcomes (the fixture checks
    /// the latter once more for the whole suite, for events that arrive after their test).
    /// </summary>
    public virtual async Task DisposeAsync()
    {
        await Fixture.AssertNoSecretsLoggedAsync();
        Assert.Empty(Fixture.NewConflicts());
    }

    protected static string CallbackFor(Guid sessionId) => $"https://caller.example/avatar/callback/{sessionId}";

    protected async Task<AvatarSessionCreated> CreateSessionAsync(Guid? sessionId = null)
    {
        var id = sessionId ?? Guid.NewGuid();
        await Fixture.Publish(new CreateAvatarSession(id, CallbackFor(id), null));
        return await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == id);
    }

    /// <summary>Creates a session, lets the person pass the H5 page, and reports completion: returns the group.</summary>
    protected async Task<string> VerifiedGroupAsync()
    {
        var created = await CreateSessionAsync();
        await Simulator.CompleteH5Async(created.H5Link);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        return (await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId)).GroupId;
    }

    /// <summary>A group as if a session of this worker had verified it (the short way to <see cref="VerifiedGroupAsync"/>).</summary>
    protected Task<string> MintGroupAsync() => Simulator.MintVerifiedGroupAsync(Fixture.ConnectionString);

    /// <summary>
    /// Step-2 queries xcompute had for the session: the simulator counts them by the registered callback URL, which holds
    /// the session id (the caller's URL, or the worker's own receiver link).
    /// </summary>
    protected async Task<int> VerificationQueriesAsync(Guid sessionId) => (await Simulator.StatsAsync()).Counts
        .Where(c => c.Key.StartsWith("verify:", StringComparison.Ordinal)
            && (c.Key.Contains(sessionId.ToString("N"), StringComparison.Ordinal) || c.Key.Contains(sessionId.ToString(), StringComparison.Ordinal)))
        .Sum(c => c.Value);

    protected static SubmitAvatarAssets Submission(string groupId, params string[] names) => new(
        Guid.NewGuid(),
        groupId,
        [.. names.Select(n => new AvatarAssetSource($"https://cdn.example/avatars/{n}.mp4", n))]);

    protected static Task WaitUntil(Func<bool> condition, int seconds = 30) => WaitUntil(() => Task.FromResult(condition()), seconds);

    /// <summary>Waits for a positive signal: <paramref name="condition"/> becoming true, checked every 50 ms.</summary>
    protected static async Task WaitUntil(Func<Task<bool>> condition, int seconds = 30)
    {
        for (var i = 0; i < seconds * 20 && !await condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(await condition(), $"the condition did not become true within {seconds} s");
    }

    private static readonly string[] IntakeQueues = ["create-avatar-session", "avatar-auth-completed", "submit-avatar-assets", "poll-session", "poll-submission"];

    /// <summary>How many messages the worker's <c>_error</c> queues hold now.</summary>
    protected async Task<long> ErrorCountAsync()
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        long total = 0;
        foreach (var queue in IntakeQueues)
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                total += (await channel.QueueDeclarePassiveAsync($"{queue}_error")).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not created yet: MassTransit declares an error queue on its first fault.
            }
        }

        return total;
    }

    /// <summary>A stored row, read afresh.</summary>
    protected async Task<T?> FindAsync<T>(Guid id)
        where T : class
    {
        await using var db = Fixture.Db();
        return await db.Set<T>().FindAsync(id);
    }
}
