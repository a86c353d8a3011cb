using MassTransit;

namespace Avatar.Worker.Messaging;

/// <summary>
/// A command's caller is the RabbitMQ user that published it: the AMQP <c>user-id</c> property, which RabbitMQ refuses
/// to deliver unless it names the publishing connection's own user. Headers or fields of the message would be whatever
/// the publisher wrote; this one the broker vouches for.
/// </summary>
public static class Callers
{
    /// <summary>The user that published the message, or null when it carries no <c>user-id</c>.</summary>
    public static string? Of(ConsumeContext context) => Of(context.ReceiveContext);

    /// <inheritdoc cref="Of(ConsumeContext)"/>
    public static string? Of(ReceiveContext context) =>
        context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) && amqp.Properties.IsUserIdPresent()
            ? amqp.Properties.UserId
            : null;
}
