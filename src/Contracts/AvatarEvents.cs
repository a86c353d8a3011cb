namespace Avatar.Contracts;

/// <summary>
/// Where the worker's events are published. Each event type has its own exchange, named after the type as MassTransit
/// names it (<c>Avatar.Contracts:AvatarAssetsApproved</c>), of type <see cref="ExchangeType"/>: the routing key of every
/// event is its <b>owner</b>, the RabbitMQ user that published the command which opened the flow (for
/// <see cref="AvatarCommandRefused"/>, the user that published the refused command). Bind with your own user name as the
/// binding key to receive your flows' events; RabbitMQ's topic permissions (set by the worker's operators) refuse any
/// other binding key, so no caller sees another's H5 links, group ids or assets.
/// </summary>
/// <remarks>
/// With MassTransit, bind a receive endpoint explicitly and turn its automatic bindings off (those would declare the
/// exchanges as fanout, which RabbitMQ refuses):
/// <code>
/// cfg.ReceiveEndpoint("video-pipeline.avatar-events", e =>
/// {
///     e.ConfigureConsumeTopology = false;
///     foreach (var type in AvatarEvents.Types)
///     {
///         e.Bind(AvatarEvents.ExchangeOf(type), b => { b.ExchangeType = AvatarEvents.ExchangeType; b.RoutingKey = "video-pipeline"; });
///     }
///     e.ConfigureConsumer&lt;AvatarEventsConsumer&gt;(context);
/// });
/// </code>
/// </remarks>
public static class AvatarEvents
{
    /// <summary>The type of every event exchange (since 2.0.0; fanout before).</summary>
    public const string ExchangeType = "topic";

    /// <summary>Every event the worker publishes.</summary>
    public static IReadOnlyList<Type> Types { get; } =
    [
        typeof(AvatarSessionCreated),
        typeof(AvatarSessionFailed),
        typeof(AvatarAuthVerified),
        typeof(AvatarAuthFailed),
        typeof(AvatarAssetsApproved),
        typeof(AvatarAssetsRejected),
        typeof(AvatarCommandRefused),
    ];

    /// <summary>The exchange an event type is published to: MassTransit's name for it, <c>Namespace:Name</c>.</summary>
    public static string ExchangeOf(Type eventType) => $"{eventType.Namespace}:{eventType.Name}";
}
