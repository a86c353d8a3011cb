using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Avatar.Testing;

/// <summary>
/// The real RabbitMQ and PostgreSQL the suite runs on: those <c>./test.sh</c> started (announced through
/// <c>AVATAR_DB</c> and <c>AVATAR_AMQP_*</c>), or else containers started through Testcontainers on a Docker engine.
/// </summary>
public sealed class Services : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> containers = [];

    public required string AdminConnectionString { get; init; }

    public required string AmqpHost { get; init; }

    public required int AmqpPort { get; init; }

    public required string AmqpVirtualHost { get; init; }

    public required string AmqpUser { get; init; }

    public required string AmqpPassword { get; init; }

    /// <summary>A cluster's nodes (<c>host:port</c>), when the broker is one; empty for a single node.</summary>
    public IReadOnlyList<string> AmqpNodes { get; init; } = [];

    /// <summary>"version name" of the Debian PostgreSQL cluster, for the tests that stop and start it.</summary>
    private string? PostgresCluster { get; init; }

    /// <summary>rabbitmqctl for this broker, as scripts take it (<c>RABBITMQCTL</c>): the system's, the lone node's, or the container's.</summary>
    private string[] RabbitMqCtl { get; init; } = ["rabbitmqctl"];

    /// <summary>
    /// The servers <c>scripts/services.sh</c> started (<c>services_up</c>), or containers. The integration test
    /// collections share them, so no test stops them; <c>./chaos.sh</c>, which runs alone, does.
    /// </summary>
    public static Task<Services> StartAsync() =>
        Environment.GetEnvironmentVariable("AVATAR_DB") is { Length: > 0 } db
            ? Task.FromResult(new Services
            {
                AdminConnectionString = db,
                AmqpHost = Environment.GetEnvironmentVariable("AVATAR_AMQP_HOST") ?? "127.0.0.1",
                AmqpPort = int.Parse(Environment.GetEnvironmentVariable("AVATAR_AMQP_PORT") ?? "5672", System.Globalization.CultureInfo.InvariantCulture),
                AmqpVirtualHost = Environment.GetEnvironmentVariable("AVATAR_AMQP_VHOST") ?? "/",
                AmqpUser = Environment.GetEnvironmentVariable("AVATAR_AMQP_USER") ?? "guest",
                AmqpPassword = Environment.GetEnvironmentVariable("AVATAR_AMQP_PASS") ?? "guest",
                PostgresCluster = Environment.GetEnvironmentVariable("AVATAR_PG_CLUSTER"),
            })
            : StartContainersAsync();

    /// <summary>
    /// Servers of one collection's own, which its tests stop and start (<see cref="StopDatabaseAsync"/>,
    /// <see cref="StopBrokerAsync"/>) while the other collections run on the shared ones: those of
    /// <c>outage_services_up</c> in <c>scripts/services.sh</c> (announced through <c>AVATAR_OUTAGE_*</c>), or containers.
    /// </summary>
    public static Task<Services> StartOwnAsync()
    {
        if (Environment.GetEnvironmentVariable("AVATAR_OUTAGE_DB") is { Length: > 0 } db)
        {
            return Task.FromResult(new Services
            {
                AdminConnectionString = db,
                AmqpHost = "127.0.0.1",
                AmqpPort = int.Parse(Environment.GetEnvironmentVariable("AVATAR_OUTAGE_AMQP_PORT") ?? "5680", System.Globalization.CultureInfo.InvariantCulture),
                AmqpVirtualHost = "/",
                AmqpUser = "guest",
                AmqpPassword = "guest",
                PostgresCluster = Environment.GetEnvironmentVariable("AVATAR_OUTAGE_PG_CLUSTER"),
                RabbitMqCtl = (Environment.GetEnvironmentVariable("AVATAR_OUTAGE_RABBITMQCTL") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            });
        }

        return Environment.GetEnvironmentVariable("AVATAR_DB") is { Length: > 0 }
            ? throw new InvalidOperationException(
                "These tests stop their servers, so they need servers of their own: run them through ./test.sh, or source scripts/services.sh and run outage_services_up first.")
            : StartContainersAsync();
    }

    private static async Task<Services> StartContainersAsync()
    {
        PostgreSqlContainer postgres;
        RabbitMqContainer rabbit;
        try
        {
            postgres = new PostgreSqlBuilder("postgres:15-alpine").Build();
            rabbit = new RabbitMqBuilder("rabbitmq:3.13-alpine").WithUsername("guest").WithPassword("guest").Build();
            await Task.WhenAll(postgres.StartAsync(), rabbit.StartAsync());
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException(
                "No RabbitMQ/PostgreSQL to test against: run ./test.sh (it starts them), set AVATAR_DB and AVATAR_AMQP_*, or start a Docker engine.",
                exception);
        }

        var uri = new Uri(rabbit.GetConnectionString());
        var services = new Services
        {
            AdminConnectionString = postgres.GetConnectionString(),
            AmqpHost = uri.Host,
            AmqpPort = uri.Port,
            AmqpVirtualHost = "/",
            AmqpUser = "guest",
            AmqpPassword = "guest",
            RabbitMqCtl = ["docker", "exec", "-i", rabbit.Id, "rabbitmqctl"],
        };
        services.containers.Add(postgres);
        services.containers.Add(rabbit);
        services.postgresContainer = postgres;
        services.rabbitContainer = rabbit;
        return services;
    }

    private PostgreSqlContainer? postgresContainer;
    private RabbitMqContainer? rabbitContainer;

    /// <summary>PostgreSQL goes away (connections refused or hanging), as in a restart or a failover.</summary>
    public Task StopDatabaseAsync() => postgresContainer is { } c ? c.PauseAsync() : (Task)RunAsync("pg_ctlcluster", [.. Cluster(), "stop", "-m", "fast"]);

    public async Task StartDatabaseAsync()
    {
        if (postgresContainer is { } c)
        {
            await c.UnpauseAsync();
            return;
        }

        await RunAsync("pg_ctlcluster", [.. Cluster(), "start"]);
    }

    /// <summary>RabbitMQ goes away: every connection is closed and nothing is accepted until it is back. Durable queues keep their messages.</summary>
    public Task StopBrokerAsync() => rabbitContainer is { } c ? c.PauseAsync() : CtlAsync("stop_app");

    public Task StartBrokerAsync() => rabbitContainer is { } c ? c.UnpauseAsync() : CtlAsync("start_app");

    private string[] Cluster() => PostgresCluster?.Split(' ') is [var version, var name]
        ? [version, name]
        : throw new InvalidOperationException("AVATAR_PG_CLUSTER is not set: run this through ./test.sh or ./chaos.sh, which start PostgreSQL.");

    /// <summary>A new virtual host on the run's broker, which guest may use too.</summary>
    public async Task CreateVirtualHostAsync(string name)
    {
        await CtlAsync("add_vhost", name);
        await CtlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
    }

    public Task DeleteVirtualHostAsync(string name) => CtlAsync("delete_vhost", name);

    public Task DeleteBrokerUserAsync(string user) => CtlAsync("delete_user", user);

    private Task<string> CtlAsync(params string[] arguments) => RunAsync(RabbitMqCtl[0], [.. RabbitMqCtl[1..], "-q", .. arguments]);

    /// <summary><c>scripts/rabbitmq-users.sh</c> against the run's broker, the password on its standard input; returns what it printed.</summary>
    public Task<string> RabbitMqUsersAsync(string password, params string[] arguments) => RunAsync(
        Path.Combine(Repository.Root, "scripts", "rabbitmq-users.sh"), arguments, password + "\n", ("RABBITMQCTL", string.Join(' ', RabbitMqCtl)));

    /// <summary>The same servers, reached on <paramref name="virtualHost"/> as <paramref name="user"/>.</summary>
    public Services As(string virtualHost, string user, string password) =>
        WithBroker(AmqpHost, AmqpPort, AmqpNodes, virtualHost, user, password, rabbitContainer, RabbitMqCtl);

    /// <summary>The same PostgreSQL (or <paramref name="database"/>'s), reached through another broker, virtual host or user.</summary>
    private Services WithBroker(
        string host, int port, IReadOnlyList<string> nodes, string virtualHost, string user, string password, RabbitMqContainer? rabbit, string[] rabbitMqCtl,
        string? database = null) => new()
    {
        AdminConnectionString = database ?? AdminConnectionString,
        PostgresCluster = database is null ? PostgresCluster : null,
        AmqpHost = host,
        AmqpPort = port,
        AmqpVirtualHost = virtualHost,
        AmqpUser = user,
        AmqpPassword = password,
        AmqpNodes = nodes,
        postgresContainer = database is null ? postgresContainer : null,
        rabbitContainer = rabbit,
        RabbitMqCtl = rabbitMqCtl,
    };

    /// <summary>Runs <paramref name="command"/>; returns what it printed, or throws with its errors.</summary>
    internal static async Task<string> RunAsync(string command, string[] arguments, string? input = null, (string Name, string Value)? environment = null)
    {
        var info = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is var (name, value))
        {
            info.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
    }

    /// <summary>The same broker, with <paramref name="pair"/> as PostgreSQL (it is not stopped and started, but failed over).</summary>
    public Services OnDatabase(DatabasePair pair) =>
        WithBroker(AmqpHost, AmqpPort, AmqpNodes, AmqpVirtualHost, AmqpUser, AmqpPassword, rabbitContainer, RabbitMqCtl, pair.AdminConnectionString);

    /// <summary>The same PostgreSQL, with <paramref name="cluster"/> as the broker.</summary>
    public Services OnCluster(BrokerCluster cluster) => WithBroker(
        cluster.Nodes[0].Split(':')[0], int.Parse(cluster.Nodes[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture),
        cluster.Nodes, cluster.VirtualHost, "guest", "guest", rabbit: null, [Path.Combine(Repository.Root, "scripts", "rabbitmq-cluster.sh"), "ctl"]);

    /// <summary>A plain RabbitMQ connection, for playing a publisher or subscriber that does not use MassTransit.</summary>
    public Task<RabbitMQ.Client.IConnection> ConnectAsync() => new RabbitMQ.Client.ConnectionFactory
    {
        VirtualHost = AmqpVirtualHost,
        UserName = AmqpUser,
        Password = AmqpPassword,
    }.CreateConnectionAsync(AmqpNodes.Count > 0
        ? [.. AmqpNodes.Select(n => RabbitMQ.Client.AmqpTcpEndpoint.Parse(n))]
        : [new RabbitMQ.Client.AmqpTcpEndpoint(AmqpHost, AmqpPort)]);

    // A pooled admin connection may be one PostgreSQL closed when a test stopped and restarted it (57P01).
    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    /// <summary>Creates an empty database for this run and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(Unpooled(AdminConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Unpooled(AdminConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in containers)
        {
            await container.DisposeAsync();
        }
    }
}
