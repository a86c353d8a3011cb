using Avatar.Worker.Consumers;
using Avatar.Worker.Hosting;
using Avatar.Worker.Messaging;
using Avatar.Worker.Scheduling;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Avatar.Worker;

/// <summary>
/// The bus: MassTransit over RabbitMQ with the worker's consumers and, for every endpoint, the one delivery policy. It
/// composes the folders below it (Messaging's plumbing, the consumers, the schedule's poll queues), so it lives at the
/// top, beside <see cref="WorkerHost"/>.
/// </summary>
public static class Bus
{
    /// <summary>
    /// MassTransit over RabbitMQ (section <c>RabbitMq</c>: Host, Port, VHost, User, Pass, and <see cref="BrokerOptions"/>'s
    /// Nodes and QueueType), the consumers, and for every endpoint its queue type and one delivery policy
    /// (<see cref="DeliveryPolicy"/>).
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services)
    {
        services.AddOptions<RabbitMqTransportOptions>().BindConfiguration(BrokerOptions.Section);
        services.AddSettings<BrokerOptions>(BrokerOptions.Section);
        services.AddSettings<MessagingOptions>(MessagingOptions.Section);

        // The host counts as started only once the queues exist and consume, so nothing published right after is lost.
        // A stop gives the messages in flight ConsumerStopTimeout to finish, then cancels them (they go back to their
        // queue); the host waits for the bus to stop before it disposes the services the consumers use, so no message
        // in flight meets a disposed service provider, and no background loop's failure stops the host.
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<MessagingOptions>>((o, messaging) =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromMinutes(1);
            o.ConsumerStopTimeout = messaging.Value.ConsumerStopTimeout;
            o.StopTimeout = messaging.Value.BusStopTimeout;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<MessagingOptions>>((o, messaging) =>
        {
            o.ShutdownTimeout = messaging.Value.ShutdownTimeout;
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });

        // The dispatcher's backpressure counts on how many poll messages this instance's consumers take at once.
        services.AddSingleton(p => new PollCapacity(
            p.GetRequiredService<IOptions<PollingOptions>>(), p.GetRequiredService<IOptions<MessagingOptions>>().Value.ConcurrentMessageLimit, p.GetRequiredService<TimeProvider>()));

        // While PostgreSQL is away the endpoints stop taking messages, and start again once it answers.
        services.AddSingleton<OutageGate>();
        services.AddReceiveEndpointObserver(p => p.GetRequiredService<OutageGate>());
        services.AddHostedService<OutageProbe>();

        // Messages the broker refuses: reconnects where that cures, gives up events nothing cures.
        services.AddSingleton<RefusedPublishes>();
        services.AddSendObserver(p => p.GetRequiredService<RefusedPublishes>());
        services.AddPublishObserver(p => p.GetRequiredService<RefusedPublishes>());
        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();

            // MassTransit 8.4+ reports anonymous usage to masstransit.io by default; a worker holding an API key makes no
            // calls to anyone but xcompute, the broker and the database.
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);

            // MassTransit's own health check, part of readiness: healthy once every endpoint consumes.
            x.ConfigureHealthCheckOptions(o =>
            {
                o.Name = "masstransit-bus";
                o.MinimalFailureStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy;
                o.Tags.Add(Health.HealthServices.Ready);
            });
            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                Broker.ApplyQueueType(endpoint, context.GetRequiredService<IOptions<BrokerOptions>>().Value);
                CommandSizeLimit.Apply(endpoint, context);
                DeliveryPolicy.Apply(endpoint, context);
                IdentifiedCallers.Apply(endpoint, context);
            });
            x.AddConsumer<CreateAvatarSessionConsumer>();
            x.AddConsumer<AvatarAuthCompletedConsumer>();
            x.AddConsumer<SubmitAvatarAssetsConsumer>();
            x.AddConsumer<GetAvatarStatusConsumer>();

            // The dispatcher sends to these by address, so their names are fixed here rather than derived.
            x.AddConsumer<PollSessionConsumer>().Endpoint(e => e.Name = PollQueues.Session);
            x.AddConsumer<PollSubmissionConsumer>().Endpoint(e => e.Name = PollQueues.Submission);

            x.UsingRabbitMq((context, cfg) =>
            {
                Broker.ConfigureHost(
                    cfg,
                    context.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value,
                    context.GetRequiredService<IOptions<BrokerOptions>>().Value);
                EventRouting.Configure(cfg);
                cfg.ConfigureEndpoints(context);
            });
        });

        return services;
    }
}
