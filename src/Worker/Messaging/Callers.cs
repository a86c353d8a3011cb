using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Consumers;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>Who may act on what (section <c>Avatar:Callers</c>).</summary>
public sealed class CallerOptions
{
    /// <summary>
    /// Refuse a command without an AMQP <c>user-id</c> (<c>unidentified_caller</c>). Off (a development switch): such a
    /// command is taken from an unnamed caller, and the flow it opens is open to any caller.
    /// </summary>
    public bool RequireUserId { get; set; } = true;

    /// <summary>
    /// Callers that may submit to groups other callers verified: each caller's name to the owners whose groups it may
    /// use (a shared identity service verifies people for several pipelines).
    /// </summary>
    public Dictionary<string, string[]> SharedGroups { get; set; } = [];

    /// <summary>Whether <paramref name="caller"/> may submit to a group verified by a session of <paramref name="owner"/>.</summary>
    public bool MaySubmitTo(string? owner, string? caller) =>
        Owners.Permits(owner, caller) || (caller is not null && SharedGroups.TryGetValue(caller, out var owners) && owners.Contains(owner));
}

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

    internal static void Apply(IReceiveEndpointConfigurator endpoint, IRegistrationContext context) =>
        endpoint.UseConsumeFilter(typeof(IdentifiedCallerFilter<>), context, commands =>
        {
            commands.Include<CreateAvatarSession>();
            commands.Include<AvatarAuthCompleted>();
            commands.Include<SubmitAvatarAssets>();
        });
}

/// <summary>Refuses a command that carries no <c>user-id</c> (unless <see cref="CallerOptions.RequireUserId"/> is off); the consumer never sees it.</summary>
internal sealed class IdentifiedCallerFilter<T>(IOptions<WorkflowOptions> options, ILogger<IdentifiedCallerFilter<T>> logger) : IFilter<ConsumeContext<T>>
    where T : class
{
    private const string Reason = "the command carries no AMQP user-id; publish it with user-id set to the RabbitMQ user that publishes it";

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (!options.Value.Callers.RequireUserId || Callers.Of(context) is not null)
        {
            await next.Send(context);
            return;
        }

        var flowId = context.Message switch
        {
            CreateAvatarSession command => command.SessionId,
            AvatarAuthCompleted command => command.SessionId,
            SubmitAvatarAssets command => command.SubmissionId,
            _ => Guid.Empty,
        };
        logger.LogWarning("Refused {MessageType} {FlowId}: it carries no AMQP user-id", typeof(T).Name, flowId);
        await context.RefuseAsync(typeof(T).Name, flowId, AvatarErrorCodes.UnidentifiedCaller, Reason);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("identifiedCaller");
}
