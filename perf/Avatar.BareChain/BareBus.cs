using MassTransit;
using Microsoft.Extensions.Configuration;

namespace Avatar.BareChain;

/// <summary>
/// The worker's broker settings on bare MassTransit, for the benchmarks' reference programs (this one and
/// <c>perf/Avatar.StackFloor</c>, which compiles this file too): the <c>RabbitMq</c> section (Host, Port, VHost,
/// User, Pass), publisher confirms, quorum queues, and no usage telemetry.
/// </summary>
public static class BareBus
{
    public static void UsingBareRabbitMq(this IBusRegistrationConfigurator bus, IConfiguration rabbit, int? concurrentMessageLimit = null)
    {
        bus.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
        bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
        {
            endpoint.ConcurrentMessageLimit = concurrentMessageLimit;
            if (endpoint is IRabbitMqReceiveEndpointConfigurator queue)
            {
                queue.SetQuorumQueue();
            }
        });
        bus.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(rabbit["Host"] ?? "localhost", rabbit.GetValue<ushort>("Port", 5672), rabbit["VHost"] ?? "/", h =>
            {
                h.Username(rabbit["User"] ?? "guest");
                h.Password(rabbit["Pass"] ?? "guest");
                h.PublisherConfirmation = true;
            });
            cfg.ConfigureEndpoints(context);
        });
    }
}
