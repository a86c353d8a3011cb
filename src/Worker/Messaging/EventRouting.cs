using System.Reflection;
using Avatar.Contracts;
using MassTransit;
using RabbitMQ.Client;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Each caller receives its own flows' events and nobody else's, and the broker, not a convention, sees to it: every
/// event exchange is a topic exchange (<see cref="AvatarEvents"/>), every event is published with its owner's RabbitMQ
/// user name as the routing key, and <c>scripts/rabbitmq-users.sh</c> gives each caller topic permissions that let it
/// bind with its own name only (docs/adr/0003-events-routed-by-owner.md).
/// </summary>
public static class EventRouting
{
    /// <summary>The routing key of an event whose flow has no owner (stored before owners were, or taken without a <c>user-id</c>): only a binding of <c>#</c> receives it.</summary>
    public const string Unowned = "";

    /// <summary>Declares the event exchanges as topic exchanges; the worker and the ops command both publish through it.</summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator cfg)
    {
        var topic = typeof(EventRouting).GetMethod(nameof(Topic), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var type in AvatarEvents.Types)
        {
            topic.MakeGenericMethod(type).Invoke(null, [cfg]);
        }
    }

    /// <summary>The publish pipe that routes an event to <paramref name="owner"/>.</summary>
    public static IPipe<PublishContext> To(string? owner) => Pipe.Execute<PublishContext>(context => context.SetRoutingKey(owner ?? Unowned));

    /// <summary>The same, for an event sent to its exchange's send endpoint.</summary>
    public static IPipe<SendContext<T>> To<T>(string? owner)
        where T : class =>
        Pipe.Execute<SendContext<T>>(context => context.SetRoutingKey(owner ?? Unowned));

    private static void Topic<T>(IRabbitMqBusFactoryConfigurator cfg)
        where T : class =>
        cfg.Publish<T>(p => p.ExchangeType = ExchangeType.Topic);
}
