using Avatar.Contracts;
using Avatar.Worker.Messaging;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Consumers;

/// <summary>The filter that refuses a command without a caller, on every endpoint that takes commands.</summary>
internal static class IdentifiedCallers
{
    public static void Apply(IReceiveEndpointConfigurator endpoint, IRegistrationContext context) =>
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
