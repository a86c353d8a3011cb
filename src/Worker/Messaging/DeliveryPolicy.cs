using Avatar.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>
/// What happens to every message of every endpoint when its consumer throws, declared once for all endpoints.
/// From the outside in:
/// <list type="number">
/// <item>A kill switch: when an endpoint's messages keep faulting, it stops taking messages for a while instead of
/// moving its whole queue to <c>_error</c>, then starts again by itself.</item>
/// <item>Outage retries: a failure of PostgreSQL or RabbitMQ (<see cref="TransientFailures"/>) is retried with growing
/// intervals that span <see cref="MessagingOptions.OutageTolerance"/>, so a restart or failover parks nothing in <c>_error</c>.</item>
/// <item>Other failures are retried a few times (<see cref="MessagingOptions.RetryIntervals"/>) and then go to <c>_error</c>:
/// those messages cannot succeed as they are.</item>
/// <item>The in-memory outbox: events leave only once the consumer has committed and succeeded.</item>
/// <item>A logging scope with the id of the session or submission the message is about.</item>
/// </list>
/// </summary>
internal static class DeliveryPolicy
{
    public static void Apply(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
        endpoint.UseKillSwitch(k => k
            .SetActivationThreshold(10)
            .SetTripThreshold(options.KillSwitchTripThreshold)
            .SetRestartTimeout(options.KillSwitchRestart));
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
        endpoint.UseInMemoryOutbox(context);
        endpoint.UseConsumeFilter(typeof(LogScopeFilter<>), context);
    }
}
