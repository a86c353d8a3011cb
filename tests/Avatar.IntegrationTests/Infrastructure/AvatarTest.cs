using Avatar.Contracts;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>The base of every scenario: a clean simulator and helpers that walk the steps as a caller would.</summary>
[Collection(AvatarCollection.Name)]
public abstract class AvatarTest(AvatarFixture fixture) : IAsyncLifetime
{
    protected AvatarFixture Fixture { get; } = fixture;

    protected EventLog Events => Fixture.Events;

    protected SimulatorClient Simulator => Fixture.Simulator;

    public virtual Task InitializeAsync() => Simulator.ResetAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

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

    protected static SubmitAvatarAssets Submission(string groupId, params string[] names) => new(
        Guid.NewGuid(),
        groupId,
        [.. names.Select(n => new AvatarAssetSource($"https://cdn.example/avatars/{n}.mp4", n))]);

    protected static async Task WaitUntil(Func<bool> condition, int seconds = 10)
    {
        for (var i = 0; i < seconds * 20 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), $"the condition did not become true within {seconds} s");
    }
}
