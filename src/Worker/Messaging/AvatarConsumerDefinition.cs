using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>
/// The delivery policy of every consumer: bounded retries (then the <c>_error</c> queue, never a spin) and the
/// in-memory outbox, so events leave only once the consumer has committed and succeeded.
/// </summary>
public sealed class AvatarConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly MessagingOptions options;

    public AvatarConsumerDefinition(IOptions<MessagingOptions> options)
    {
        this.options = options.Value;
        ConcurrentMessageLimit = this.options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Intervals(options.RetryIntervals));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
