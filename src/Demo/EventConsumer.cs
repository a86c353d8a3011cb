using Avatar.Contracts;
using MassTransit;

namespace Avatar.Demo;

/// <summary>Hands every event the worker publishes to the <see cref="EventWaiter"/>, with the flow and the step it ends.</summary>
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
        waiter.Add(new Delivered(id, phase, message));
        return Task.CompletedTask;
    }
}
