using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Simulator;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>
/// One run's world: real RabbitMQ and PostgreSQL (a fresh database), the simulator on a loopback port, one worker
/// instance, and a bus that plays "the other services" (it publishes commands and records every event).
/// </summary>
public sealed class AvatarFixture : IAsyncLifetime
{
    private readonly string databaseName = $"avatar_test_{Guid.NewGuid():N}";
    private readonly string apiKey = $"sim-{Guid.NewGuid():N}";
    private WebApplication? simulator;
    private IHost? otherServices;

    public Services Services { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public SimulatorClient Simulator { get; private set; } = null!;

    public EventLog Events { get; } = new();

    public IBus Bus { get; private set; } = null!;

    public WorkerInstance? Worker { get; set; }

    public async Task InitializeAsync()
    {
        Services = await Avatar.Testing.Services.StartAsync();
        ConnectionString = await Services.CreateDatabaseAsync(databaseName);

        simulator = SimulatorApp.Build(["--urls=http://127.0.0.1:0", $"--Simulator:ApiKey={apiKey}", "--Logging:LogLevel:Default=Warning"]);
        await simulator.StartAsync();
        var address = simulator.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Simulator = new SimulatorClient(new HttpClient { BaseAddress = new Uri(address) });

        otherServices = Host.CreateDefaultBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(Events);
                services.AddMassTransit(x =>
                {
                    x.AddConsumer<EventRecorder>();
                    x.UsingRabbitMq((context, cfg) =>
                    {
                        cfg.Host(Services.AmqpHost, (ushort)Services.AmqpPort, Services.AmqpVirtualHost, h =>
                        {
                            h.Username(Services.AmqpUser);
                            h.Password(Services.AmqpPassword);
                        });
                        cfg.ReceiveEndpoint($"avatar-tests-events-{Guid.NewGuid():N}", e =>
                        {
                            e.AutoDelete = true;
                            e.Durable = false;
                            e.ConfigureConsumer<EventRecorder>(context);
                        });
                    });
                });
            })
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await otherServices.StartAsync();
        Bus = otherServices.Services.GetRequiredService<IBus>();

        Worker = await StartWorkerAsync();
    }

    /// <summary>The settings a worker of this run gets: the run's database, broker and simulator, and quick timings.</summary>
    public Dictionary<string, string> WorkerSettings(int? dispatchIntervalMs = null) => new()
    {
        ["ConnectionStrings:Avatar"] = ConnectionString,
        ["RabbitMq:Host"] = Services.AmqpHost,
        ["RabbitMq:Port"] = Services.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:VHost"] = Services.AmqpVirtualHost,
        ["RabbitMq:User"] = Services.AmqpUser,
        ["RabbitMq:Pass"] = Services.AmqpPassword,
        ["XCompute:BaseUrl"] = Simulator.BaseAddress.ToString(),
        ["XCompute:ApiKey"] = apiKey,
        ["XCompute:RequestTimeout"] = "00:00:03",
        ["Avatar:ReviewTimeout"] = "00:00:15",
        ["Avatar:Polling:InitialDelay"] = "00:00:00.300",
        ["Avatar:Polling:MaxDelay"] = "00:00:01",
        ["Avatar:Polling:Lease"] = "00:00:08",
        ["Avatar:Polling:DispatchInterval"] = TimeSpan.FromMilliseconds(dispatchIntervalMs ?? 200).ToString(),
        ["Messaging:RetryIntervals:0"] = "00:00:00.100",
        ["Messaging:RetryIntervals:1"] = "00:00:00.500",
        ["Messaging:RetryIntervals:2"] = "00:00:01",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public Task<WorkerInstance> StartWorkerAsync() => WorkerInstance.StartAsync(WorkerSettings());

    /// <summary>Runs <paramref name="scenario"/> with one worker, configured with <paramref name="overrides"/>, in place of the usual one.</summary>
    public async Task WithWorkerAsync(IReadOnlyDictionary<string, string> overrides, Func<Task> scenario)
    {
        await Worker!.DisposeAsync();
        Worker = null;
        try
        {
            var settings = WorkerSettings();
            foreach (var (key, value) in overrides)
            {
                settings[key] = value;
            }

            await using var special = await WorkerInstance.StartAsync(settings);
            await scenario();
        }
        finally
        {
            Worker = await StartWorkerAsync();
        }
    }

    public string ApiKey => apiKey;

    public AvatarDbContext Db() =>
        new(new DbContextOptionsBuilder<AvatarDbContext>().UseNpgsql(ConnectionString).Options);

    public Task Publish<T>(T command)
        where T : class => Bus.Publish(command);

    public async Task DisposeAsync()
    {
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        if (otherServices is not null)
        {
            await otherServices.StopAsync();
            otherServices.Dispose();
        }

        if (simulator is not null)
        {
            await simulator.DisposeAsync();
        }

        await Services.DropDatabaseAsync(databaseName);
        await Services.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AvatarCollection : ICollectionFixture<AvatarFixture>
{
    public const string Name = "avatar";
}
