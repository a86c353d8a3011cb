using System.Collections.Concurrent;
using Avatar.Contracts;
using MassTransit;

namespace Avatar.Demo;

public enum Phase
{
    Session,
    Verification,
    Review,
}

/// <summary>Hands each event the worker publishes to whoever waits for that id and phase; the first one wins.</summary>
public sealed class EventWaiter
{
    private readonly ConcurrentDictionary<(Guid, Phase), TaskCompletionSource<object>> waiting = new();

    public Task<object> WaitAsync(Guid id, Phase phase, TimeSpan timeout) => Source(id, phase).Task.WaitAsync(timeout);

    public void Deliver(Guid id, Phase phase, object message) => Source(id, phase).TrySetResult(message);

    private TaskCompletionSource<object> Source(Guid id, Phase phase) =>
        waiting.GetOrAdd((id, phase), _ => new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class EventConsumer(EventWaiter waiter) :
    IConsumer<AvatarSessionCreated>,
    IConsumer<AvatarSessionFailed>,
    IConsumer<AvatarAuthVerified>,
    IConsumer<AvatarAuthFailed>,
    IConsumer<AvatarAssetsApproved>,
    IConsumer<AvatarAssetsRejected>,
    IConsumer<AvatarCommandRefused>
{
    public Task Consume(ConsumeContext<AvatarSessionCreated> context) => Deliver(context.Message.SessionId, Phase.Session, context.Message);

    public Task Consume(ConsumeContext<AvatarSessionFailed> context) => Deliver(context.Message.SessionId, Phase.Session, context.Message);

    public Task Consume(ConsumeContext<AvatarAuthVerified> context) => Deliver(context.Message.SessionId, Phase.Verification, context.Message);

    public Task Consume(ConsumeContext<AvatarAuthFailed> context) => Deliver(context.Message.SessionId, Phase.Verification, context.Message);

    public Task Consume(ConsumeContext<AvatarAssetsApproved> context) => Deliver(context.Message.SubmissionId, Phase.Review, context.Message);

    public Task Consume(ConsumeContext<AvatarAssetsRejected> context) => Deliver(context.Message.SubmissionId, Phase.Review, context.Message);

    /// <summary>A refused command ends the wait for its step: it leads to no outcome (the record's text names the reason).</summary>
    public Task Consume(ConsumeContext<AvatarCommandRefused> context) => context.Message.CommandType switch
    {
        nameof(CreateAvatarSession) => Deliver(context.Message.FlowId, Phase.Session, context.Message),
        nameof(SubmitAvatarAssets) => Deliver(context.Message.FlowId, Phase.Review, context.Message),
        _ => Deliver(context.Message.FlowId, Phase.Verification, context.Message),
    };

    private Task Deliver(Guid id, Phase phase, object message)
    {
        waiter.Deliver(id, phase, message);
        return Task.CompletedTask;
    }
}
