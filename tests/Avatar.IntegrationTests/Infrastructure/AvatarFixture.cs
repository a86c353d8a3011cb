using Avatar.Contracts;
using Avatar.Persistence;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>
/// One collection's world: real RabbitMQ and PostgreSQL (a virtual host and a database of its own), the simulator on a
/// loopback port, one worker instance, and a bus that plays "the other services" (it publishes commands and records
/// every event).
/// </summary>
public class AvatarFixture : IAsyncLifetime
{
    private readonly string databaseName = $"avatar_test_{Guid.NewGuid():N}";
    private readonly string virtualHost = $"avatar-test-{Guid.NewGuid():N}";
    private Services servers = null!;
    private readonly string apiKey = $"sim-{Guid.NewGuid():N}";
    private WebApplication? simulator;
    private IHost? otherServices;

    public Services Services { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public SimulatorClient Simulator { get; private set; } = null!;

    public EventLog Events { get; } = new();

    /// <summary>Every line every worker instance of this run logged.</summary>
    public LogCapture Logs { get; } = new();

    public IBus Bus { get; private set; } = null!;

    /// <summary>"The other services"' client for <see cref="GetAvatarStatus"/> (RabbitMQ's direct reply-to).</summary>
    public IRequestClient<GetAvatarStatus> Status { get; private set; } = null!;

    public WorkerInstance? Worker { get; set; }

    public async Task InitializeAsync()
    {
        // A virtual host and a database of its own, so collections with fixtures of their own run side by side.
        servers = await StartServersAsync();
        await servers.CreateVirtualHostAsync(virtualHost);
        Services = servers.As(virtualHost, servers.AmqpUser, servers.AmqpPassword);
        ConnectionString = await Services.CreateDatabaseAsync(databaseName);

        (simulator, Simulator) = await Harness.StartSimulatorAsync(apiKey);
        otherServices = await Harness.StartOtherServicesAsync(Services, Events);
        Bus = otherServices.Services.GetRequiredService<IBus>();
        Status = otherServices.Services.GetRequiredService<IClientFactory>().CreateRequestClient<GetAvatarStatus>();

        Worker = await StartWorkerAsync();
    }

    /// <summary>The servers this fixture runs on: those every collection shares, which no test may stop.</summary>
    protected virtual Task<Services> StartServersAsync() => Avatar.Testing.Services.StartAsync();

    /// <summary>The settings a worker of this run gets: the run's database, broker and simulator, and quick timings.</summary>
    public Dictionary<string, string> WorkerSettings()
    {
        var settings = Harness.WorkerSettings(Services, ConnectionString, Simulator.BaseAddress, apiKey);
        settings["XCompute:RequestTimeout"] = "00:00:03";
        settings["XCompute:NewTaskGrace"] = "00:00:03";
        settings["Avatar:ReviewTimeout"] = "00:00:15";
        settings["Avatar:Polling:InitialDelay"] = "00:00:00.300";
        settings["Avatar:Polling:MaxDelay"] = "00:00:01";
        settings["Avatar:Polling:Lease"] = "00:00:08";
        settings["Avatar:Polling:DispatchInterval"] = "00:00:00.200";

        // A test's 429 (up to 600 s) must not hold back the tests after it.
        settings["XCompute:MaxPause"] = "00:00:03";
        settings["Messaging:RetryIntervals:0"] = "00:00:00.100";
        settings["Messaging:RetryIntervals:1"] = "00:00:00.500";
        settings["Messaging:RetryIntervals:2"] = "00:00:01";
        return settings;
    }

    public Task<WorkerInstance> StartWorkerAsync() => WorkerInstance.StartAsync(WorkerSettings(), Logs);

    /// <summary>Runs <paramref name="scenario"/> with one worker, configured with <paramref name="overrides"/>, in place of the usual one.</summary>
    public Task WithWorkerAsync(IReadOnlyDictionary<string, string> overrides, Func<Task> scenario) => WithWorkerAsync(overrides, _ => scenario());

    /// <summary>
    /// Runs <paramref name="scenario"/> with a fresh worker, alone in this process. Metrics need that: OpenTelemetry
    /// listens to meters by name across the process, so two instances in one process would report each other's.
    /// </summary>
    public async Task WithWorkerAsync(
        IReadOnlyDictionary<string, string> overrides, Func<WorkerInstance, Task> scenario, Action<IServiceCollection>? services = null)
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

            await using var special = await WorkerInstance.StartAsync(settings, Logs, services);
            await scenario(special);
        }
        finally
        {
            Worker = await StartWorkerAsync();
        }
    }

    public string ApiKey => apiKey;

    private readonly HashSet<string> reportedConflicts = [];

    /// <summary>Flows that received two different outcomes since the last call (each reported once, to the test it arrived in).</summary>
    public IReadOnlyList<string> NewConflicts()
    {
        lock (reportedConflicts)
        {
            return [.. Events.Conflicts().Where(reportedConflicts.Add)];
        }
    }

    /// <summary>Fails if any line logged so far holds the API key or a byted token the simulator handed out.</summary>
    public async Task AssertNoSecretsLoggedAsync()
    {
        var leaks = Logs.Holding([apiKey, .. await Simulator.TokensAsync()]);
        Assert.True(leaks.Count == 0, $"{leaks.Count} log line(s) hold a secret, the first: {leaks.FirstOrDefault()}");
    }

    /// <summary>
    /// Brings PostgreSQL back after <see cref="Services.StopDatabaseAsync"/>. The connections this run's own helpers
    /// (<see cref="Db"/>, minting a group) pooled died with the server and are dropped here, since the helpers do not
    /// retry. The worker's pool is left as it is: riding out its dead connections is part of what an outage test tests.
    /// </summary>
    public async Task StartDatabaseAsync()
    {
        await Services.StartDatabaseAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    public AvatarDbContext Db() =>
        AvatarDbContext.Open(ConnectionString);

    public Task Publish<T>(T command)
        where T : class => Bus.Publish(command);

    public async Task DisposeAsync()
    {
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        // The promise, for the whole suite at once: no test can forget it, and a late event of any test counts.
        var conflicts = Events.Conflicts();

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
        await servers.DeleteVirtualHostAsync(virtualHost);
        await servers.DisposeAsync();
        if (conflicts.Count > 0)
        {
            throw new InvalidOperationException(
                $"{conflicts.Count} flow(s) received two different outcomes during the suite:{Environment.NewLine}{string.Join(Environment.NewLine, conflicts)}");
        }
    }
}

/// <summary>
/// A fixture on servers of its own (<see cref="Services.StartOwnAsync"/>), for the tests that stop and start them:
/// the other collections go on, on the shared ones, meanwhile.
/// </summary>
public sealed class OutageFixture : AvatarFixture
{
    protected override Task<Services> StartServersAsync() => Avatar.Testing.Services.StartOwnAsync();
}

/// <summary>
/// The integration tests run in four collections side by side, each with a fixture of its own (virtual host, database,
/// simulator and worker): three on the servers they share, and one, for the tests that stop a server, on servers of its
/// own. Two workers of one process report only their own <c>avatar_*</c> series on <c>/metrics</c>, so the tests that
/// read them may run beside the others.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AvatarCollection : ICollectionFixture<AvatarFixture>
{
    public const string Name = "avatar";
}

[CollectionDefinition(Name)]
public sealed class SecondAvatarCollection : ICollectionFixture<AvatarFixture>
{
    public const string Name = "avatar-2";
}

[CollectionDefinition(Name)]
public sealed class ThirdAvatarCollection : ICollectionFixture<AvatarFixture>
{
    public const string Name = "avatar-3";
}

[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<OutageFixture>
{
    public const string Name = "avatar-outage";
}
