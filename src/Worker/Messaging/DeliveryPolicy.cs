using Avatar.Worker.Telemetry;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>
/// What happens to every message of every endpoint when its consumer throws, declared once for all endpoints.
/// From the outside in:
/// <list type="number">
/// <item>The error pipe: a message that failed because a server was away or the host was stopping goes back to its
/// queue, unacknowledged (<see cref="ReturnToQueueFilter"/>); only a message that cannot succeed as it is moves to
/// <c>_error</c>.</item>
/// <item>A kill switch: when an endpoint's messages keep faulting for other reasons, it stops taking messages for a
/// while instead of moving its whole queue to <c>_error</c>, then starts again by itself. A server's absence is not
/// its business (the <see cref="OutageGate"/> stops the endpoints for exactly as long as PostgreSQL is away), nor is a
/// refused publish: one subscriber's full queue must not stop the worker serving everyone else.</item>
/// <item>Outage retries: a failure of PostgreSQL or RabbitMQ (<see cref="TransientFailures"/>) is retried with growing
/// intervals that span <see cref="MessagingOptions.OutageTolerance"/>, which rides out a restart or a failover; a
/// longer outage stops the endpoints and returns the message to its queue.</item>
/// <item>Other failures are retried a few times (<see cref="MessagingOptions.RetryIntervals"/>) and then go to
/// <c>_error</c>: those messages cannot succeed as they are.</item>
/// <item>Refusal patience: an event RabbitMQ keeps refusing is given up after <see cref="MessagingOptions.RefusalPatience"/>
/// and the message acknowledged (<see cref="RefusedPublishes"/>), instead of MassTransit sending it again for hours.</item>
/// <item>The in-memory outbox: events leave only once the consumer has committed and succeeded.</item>
/// <item>Inside the retries: a server's absence marks the database as suspect for the <see cref="OutageGate"/>.</item>
/// <item>A logging scope with the id of the session or submission the message is about.</item>
/// </list>
/// </summary>
internal static class DeliveryPolicy
{
    public static void Apply(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new ReturnToQueueFilter(context.GetRequiredService<ILogger<ReturnToQueueFilter>>()));
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
        endpoint.UseKillSwitch(k => k
            .SetActivationThreshold(10)
            .SetTripThreshold(options.KillSwitchTripThreshold)
            .SetRestartTimeout(options.KillSwitchRestart)
            .SetExceptionFilter(f => f.Ignore<Exception>(e => ReturnToQueueFilter.ShouldReturn(e) || TransientFailures.IsRefusal(e))));
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(TransientFailures.Is);
            r.Intervals(options.OutageIntervals());
        });
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<Exception>(TransientFailures.Is);
            r.Intervals(options.RetryIntervals);
        });
        _ = new RefusalPatience(endpoint, context);
        endpoint.UseInMemoryOutbox(context);
        endpoint.UseConsumeFilter(typeof(OutageSuspicionFilter<>), context);
        endpoint.UseConsumeFilter(typeof(LogScopeFilter<>), context);
    }
}

/// <summary>Tells the <see cref="OutageGate"/> that a consumer met a server's absence, and lets the failure go on to the retries.</summary>
internal sealed class OutageSuspicionFilter<T>(OutageGate gate) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception exception) when (TransientFailures.Is(exception))
        {
            gate.Suspect();
            throw;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("outageSuspicion");
}

/// <summary>
/// Puts a <see cref="RefusalPatienceFilter{T}"/> in every message's pipe, where the in-memory outbox puts itself (a
/// typed consume filter from <c>UseConsumeFilter</c> would run inside the outbox, before it publishes).
/// </summary>
internal sealed class RefusalPatience : ConfigurationObserver, IMessageConfigurationObserver
{
    private readonly IRegistrationContext context;

    public RefusalPatience(IConsumePipeConfigurator configurator, IRegistrationContext context)
        : base(configurator)
    {
        this.context = context;
        Connect(this);
    }

    public void MessageConfigured<TMessage>(IConsumePipeConfigurator configurator)
        where TMessage : class =>
        configurator.AddPipeSpecification(new FilterPipeSpecification<ConsumeContext<TMessage>>(new RefusalPatienceFilter<TMessage>(
            context.GetRequiredService<RefusedPublishes>(), context.GetRequiredService<ILogger<RefusalPatienceFilter<TMessage>>>())));
}

/// <summary>
/// Outside the outbox, which publishes the consumer's events once it succeeded: gives those publishes a
/// <see cref="PublishDeadline"/>, and acknowledges the message when the deadline gave up an event RabbitMQ kept
/// refusing. The consumer's work is stored, and the event reached every queue that accepts it; sending it again, or
/// returning the message, would only copy it to them again.
/// </summary>
internal sealed class RefusalPatienceFilter<T>(RefusedPublishes refusals, ILogger<RefusalPatienceFilter<T>> logger) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        using var deadline = refusals.Watch(context.CancellationToken);
        context.AddOrUpdatePayload(() => deadline, _ => deadline);
        try
        {
            await next.Send(context);
        }
        catch (Exception exception) when (deadline.GaveUp && !context.CancellationToken.IsCancellationRequested
            && TransientFailures.Chain(exception).Any(e => e is OperationCanceledException))
        {
            refusals.GaveUp(deadline);
            logger.LogDebug("Gave up an event RabbitMQ kept refusing; acknowledged {MessageType} {MessageId}", typeof(T).Name, context.MessageId);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("refusalPatience");
}

/// <summary>
/// The first filter of every endpoint's error pipe, which a message reaches once its retries are spent: a message whose
/// failure came from a server being away, or from this host stopping around it, is not moved to <c>_error</c>. The
/// failure is thrown on, so the transport returns the message to its queue unacknowledged (RabbitMQ's
/// <c>basic.nack</c> with requeue), as it does for a message cancelled by a stop, and this or another instance takes it again.
/// </summary>
internal sealed class ReturnToQueueFilter(ILogger<ReturnToQueueFilter> logger) : IFilter<ExceptionReceiveContext>
{
    /// <summary>A server was away, or the host stopped (its services disposed, or the message cancelled) under the message.</summary>
    public static bool ShouldReturn(Exception exception) =>
        TransientFailures.Is(exception) || TransientFailures.Chain(exception).Any(e => e is ObjectDisposedException or OperationCanceledException);

    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (!ShouldReturn(context.Exception) && !context.CancellationToken.IsCancellationRequested)
        {
            return next.Send(context);
        }

        logger.LogDebug("Returned a message to {InputAddress} instead of _error: {Message}", context.InputAddress, context.Exception.Message);
        throw new MessageReturnedException(context.Exception);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("returnToQueue");
}

/// <summary>A message went back to its queue because a server was away or the host was stopping (see <see cref="ReturnToQueueFilter"/>).</summary>
public sealed class MessageReturnedException(Exception cause)
    : OperationCanceledException("The message was returned to its queue: a server was away or the host was stopping", cause);
