using Avatar.Contracts;
using Avatar.Simulator;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Avatar.Testing;

/// <summary>The pieces around the worker that the integration tests and the benchmark both start.</summary>
public static class Harness
{
    /// <summary>The simulator on a free loopback port, accepting <paramref name="apiKey"/>; <paramref name="settings"/> are more <c>--Key=Value</c> arguments.</summary>
    public static async Task<(WebApplication App, SimulatorClient Client)> StartSimulatorAsync(string apiKey, params string[] settings)
    {
        var app = SimulatorApp.Build(["--urls=http://127.0.0.1:0", $"--Simulator:ApiKey={apiKey}", "--Logging:LogLevel:Default=Warning", .. settings]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new SimulatorClient(new HttpClient { BaseAddress = new Uri(address) }));
    }

    /// <summary>A bus playing the services around the worker: it publishes commands and records every event in <paramref name="events"/>.</summary>
    /// <remarks>Its queue is named <paramref name="queuePrefix"/> and a unique suffix (a caller's user may only read its own queues).</remarks>
    /// <param name="owners">
    /// Whose events to receive: the binding keys on the event exchanges (<see cref="AvatarEvents"/>); every owner's by
    /// default (<c>#</c>), which RabbitMQ allows only a user without topic permissions, such as the tests' own.
    /// </param>
    public static async Task<IHost> StartOtherServicesAsync(Services services, EventLog events, string queuePrefix = "avatar-harness-events-", params string[] owners)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("MassTransit", LogLevel.Error))
            .ConfigureServices(s =>
            {
                s.AddSingleton(events);

                // Started means its queue is bound: an event published right after a command is not lost.
                s.AddOptions<MassTransitHostOptions>().Configure(o =>
                {
                    o.WaitUntilStarted = true;
                    o.StartTimeout = TimeSpan.FromMinutes(1);
                });
                s.AddMassTransit(x =>
                {
                    x.AddConsumer<EventRecorder>();

                    // Status requests (IClientFactory) answered through RabbitMQ's direct reply-to (no reply queue).
                    x.SetRabbitMqReplyToRequestClientFactory();
                    x.UsingRabbitMq((context, cfg) =>
                    {
                        ConfigureHost(cfg, services);
                        // A caller's permissions cover only queues that carry its prefix, the bus's own one too.
                        cfg.OverrideDefaultBusEndpointQueueName($"{queuePrefix}bus-{Guid.NewGuid():N}");
                        // Durable, so events published while this bus reconnects after a broker outage wait for it;
                        // a quorum queue, so that on a cluster losing a node loses none of them either.
                        // Each run has its own virtual host (or container), which takes the queue with it.
                        cfg.ReceiveEndpoint($"{queuePrefix}{Guid.NewGuid():N}", e =>
                        {
                            e.SetQuorumQueue();
                            e.ConfigureConsumeTopology = false;
                            foreach (var type in AvatarEvents.Types)
                            {
                                foreach (var owner in owners is [] ? ["#"] : owners)
                                {
                                    e.Bind(AvatarEvents.ExchangeOf(type), b =>
                                    {
                                        b.ExchangeType = AvatarEvents.ExchangeType;
                                        b.RoutingKey = owner;
                                    });
                                }
                            }

                            e.ConfigureConsumer<EventRecorder>(context);
                        });
                    });
                });
            })
            .Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// The run's broker: one node, or a cluster's nodes. Every message the bus publishes carries its user as the AMQP
    /// <c>user-id</c>, as the worker requires of a caller's commands.
    /// </summary>
    public static void ConfigureHost(IRabbitMqBusFactoryConfigurator cfg, Services services)
    {
        cfg.ConfigurePublish(publish => publish.UseExecute(context =>
        {
            if (context.TryGetPayload<RabbitMqSendContext>(out var amqp))
            {
                amqp.BasicProperties.UserId = services.AmqpUser;
            }
        }));
        cfg.Host(services.AmqpHost, (ushort)services.AmqpPort, services.AmqpVirtualHost, h =>
        {
            h.Username(services.AmqpUser);
            h.Password(services.AmqpPassword);
            if (services.AmqpNodes.Count > 0)
            {
                h.UseCluster(c =>
                {
                    foreach (var node in services.AmqpNodes)
                    {
                        c.Node(node);
                    }
                });
            }
        });
    }

    /// <summary>The run's broker as settings of the <c>RabbitMq</c> section, for a process started with them.</summary>
    public static Dictionary<string, string> BrokerSettings(Services services) => new()
    {
        ["RabbitMq:Host"] = services.AmqpHost,
        ["RabbitMq:Port"] = services.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:VHost"] = services.AmqpVirtualHost,
        ["RabbitMq:User"] = services.AmqpUser,
        ["RabbitMq:Pass"] = services.AmqpPassword,
        ["RabbitMq:Nodes"] = string.Join(',', services.AmqpNodes),
    };

    /// <summary>The key that seals byted tokens, one per test process, so every worker of a run opens what another sealed.</summary>
    public static readonly string TokenKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>What any worker of a run needs: its database, the broker, xcompute (the simulator) and a token key.</summary>
    public static Dictionary<string, string> WorkerSettings(Services services, string connectionString, Uri xcompute, string apiKey) => new(BrokerSettings(services))
    {
        ["ConnectionStrings:Avatar"] = connectionString,
        ["XCompute:BaseUrl"] = xcompute.ToString(),
        ["XCompute:ApiKey"] = apiKey,
        ["Avatar:TokenEncryption:Keys"] = TokenKey,

        // The simulator listens on plain http, which only this development switch allows.
        ["XCompute:AllowInsecureHttp"] = "true",
        ["Logging:LogLevel:Default"] = "Warning",

        // Health and metrics on a free port, so instances side by side never collide.
        ["Urls"] = "http://127.0.0.1:0",
    };
}
