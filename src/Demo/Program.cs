// Plays the services around the worker: publishes the three commands and prints the events that come back.
// Configuration: RabbitMq (Host, Port, VHost, User, Pass) and, against the simulator, Demo:SimulatorPlaysThePerson=true.
using Avatar.Contracts;
using Avatar.Demo;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<EventWaiter>();
builder.Services.AddOptions<RabbitMqTransportOptions>().BindConfiguration("RabbitMq");
builder.Services.AddMassTransit(x =>
{
    x.AddConsumer<EventConsumer>();

    // GetAvatarStatus, answered to RabbitMQ's direct reply-to: no reply queue of our own.
    x.SetRabbitMqReplyToRequestClientFactory();
    x.UsingRabbitMq((context, cfg) =>
    {
        // The worker takes a command only with the AMQP user-id of the user that publishes it (RabbitMQ checks it).
        var user = context.GetRequiredService<Microsoft.Extensions.Options.IOptions<RabbitMqTransportOptions>>().Value.User;
        cfg.ConfigurePublish(publish => publish.UseExecute(publishing =>
        {
            if (publishing.TryGetPayload<RabbitMqSendContext>(out var amqp))
            {
                amqp.BasicProperties.UserId = user;
            }
        }));
        // Its own flows' events only: each event exchange is a topic exchange keyed by the flow's owner, this user.
        cfg.ReceiveEndpoint($"avatar-demo-{Guid.NewGuid():N}", e =>
        {
            e.AutoDelete = true;
            e.Durable = false;
            e.ConfigureConsumeTopology = false;
            foreach (var type in AvatarEvents.Types)
            {
                e.Bind(AvatarEvents.ExchangeOf(type), b =>
                {
                    b.ExchangeType = AvatarEvents.ExchangeType;
                    b.RoutingKey = user;
                });
            }

            e.ConfigureConsumer<EventConsumer>(context);
        });
    });
});

using var host = builder.Build();
await host.StartAsync();

using var person = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
Func<string, Task<string>>? completeH5 = builder.Configuration.GetValue<bool>("Demo:SimulatorPlaysThePerson")
    ? async link =>
    {
        // As upstream does, the page sends the browser back to the callback URL.
        var reply = await person.PostAsync($"{link}/complete?outcome=success", null);
        return reply.Headers.Location?.ToString() ?? throw new InvalidOperationException($"The H5 page answered {(int)reply.StatusCode}");
    }
    : null;

var walkthrough = new Walkthrough(
    host.Services.GetRequiredService<IBus>(),
    host.Services.GetRequiredService<IClientFactory>().CreateRequestClient<GetAvatarStatus>(),
    host.Services.GetRequiredService<EventWaiter>(),
    Console.Out);
var exitCode = await walkthrough.RunAsync(completeH5);
await host.StopAsync();
return exitCode;
