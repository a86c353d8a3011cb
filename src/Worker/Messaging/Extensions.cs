using Avatar.Worker.Consumers;
using Avatar.Worker.Polling;
using MassTransit;

namespace Avatar.Worker.Messaging;

public static class Extensions
{
    /// <summary>
    /// MassTransit over RabbitMQ (section <c>RabbitMq</c>: Host, Port, VHost, User, Pass), the consumers, and the
    /// poll dispatcher that feeds the durable schedule into the bus.
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services)
    {
        services.AddOptions<RabbitMqTransportOptions>().BindConfiguration("RabbitMq");
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section);

        // The host counts as started only once the queues exist and consume, so nothing published right after is lost.
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromMinutes(1);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConsumer<CreateAvatarSessionConsumer, AvatarConsumerDefinition<CreateAvatarSessionConsumer>>();
            x.AddConsumer<AvatarAuthCompletedConsumer, AvatarConsumerDefinition<AvatarAuthCompletedConsumer>>();
            x.AddConsumer<SubmitAvatarAssetsConsumer, AvatarConsumerDefinition<SubmitAvatarAssetsConsumer>>();
            x.AddConsumer<PollSessionConsumer, AvatarConsumerDefinition<PollSessionConsumer>>();
            x.AddConsumer<PollSubmissionConsumer, AvatarConsumerDefinition<PollSubmissionConsumer>>();

            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.ConfigureJsonSerializerOptions(options =>
                {
                    options.Converters.Insert(0, new LenientEnumConverterFactory());
                    return options;
                });
                cfg.ConfigureEndpoints(context);
            });
        });

        services.AddHostedService<PollDispatcher>();
        return services;
    }
}
