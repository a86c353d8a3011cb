using Avatar.Worker.Messaging;
using Avatar.Worker.Security;
using MassTransit;

namespace Avatar.Worker.Tests;

/// <summary>The start-up refusal of a broker or a database on another machine over a connection nobody verifies.</summary>
public sealed class ConnectionSecurityTests
{
    [Theory]
    [InlineData("localhost", "guest", false, false, null)]
    [InlineData("127.0.0.1", "guest", false, false, null)]
    [InlineData("rabbitmq.internal", "avatar-worker", true, false, null)]
    [InlineData("rabbitmq.internal", "avatar-worker", false, false, "RabbitMq:UseSsl is off")]
    [InlineData("rabbitmq.internal", "avatar-worker", false, true, null)]
    [InlineData("rabbitmq.internal", "guest", true, true, "guest, which is refused")]
    public void A_broker_on_another_machine_needs_tls_and_a_user_of_its_own(string host, string user, bool tls, bool allowInsecure, string? problem)
    {
        var refused = ConnectionSecurity.BrokerProblem(
            new RabbitMqTransportOptions { Host = host, User = user, UseSsl = tls }, new BrokerOptions { AllowInsecureConnection = allowInsecure });

        Assert.True(problem is null ? refused is null : refused?.Contains(problem, StringComparison.Ordinal) == true, refused);
    }

    [Fact]
    public void Every_node_of_a_cluster_counts()
    {
        var cluster = new BrokerOptions { Nodes = "localhost:5681,[::1]:5682,10.0.0.3:5672" };

        Assert.Contains("10.0.0.3", ConnectionSecurity.BrokerProblem(new RabbitMqTransportOptions { Host = "localhost", User = "w" }, cluster));
        Assert.Null(ConnectionSecurity.BrokerProblem(new RabbitMqTransportOptions { Host = "localhost", User = "w" }, new BrokerOptions { Nodes = "localhost:5681,[::1]:5682" }));
    }

    [Theory]
    [InlineData("Host=localhost;Database=avatar", false, null)]
    [InlineData("Host=/var/run/postgresql;Database=avatar", false, null)]
    [InlineData("Host=127.0.0.1:5433,localhost:5434;Database=avatar", false, null)]
    [InlineData("Host=db.internal;Database=avatar", false, "SSL Mode is Prefer")]
    [InlineData("Host=db.internal;Database=avatar;SSL Mode=Require", false, "SSL Mode is Require")]
    [InlineData("Host=localhost,db.internal;Database=avatar;SSL Mode=VerifyFull", false, null)]
    [InlineData("Host=db.internal;Database=avatar;SSL Mode=VerifyCA", false, null)]
    [InlineData("Host=db.internal;Database=avatar", true, null)]
    public void A_database_on_another_machine_needs_verified_tls(string connectionString, bool allowInsecure, string? problem)
    {
        var refused = ConnectionSecurity.DatabaseProblem(connectionString, allowInsecure);

        Assert.True(problem is null ? refused is null : refused?.Contains(problem, StringComparison.Ordinal) == true, refused);
    }
}

/// <summary>The rules stop the real host before it connects to anything.</summary>
public sealed class ConnectionSecurityStartTests
{
    [Theory]
    [InlineData("Host=db.example;Database=avatar;Username=w;Password=p", "localhost", "SSL Mode is Prefer")]
    [InlineData("Host=localhost;Database=avatar;Username=w;Password=p", "rabbitmq.example", "RabbitMq:UseSsl is off")]
    public async Task The_worker_does_not_start_over_an_unverified_connection_to_another_machine(string database, string broker, string problem)
    {
        var builder = WorkerHost.CreateBuilder([
            $"--ConnectionStrings:Avatar={database}",
            $"--RabbitMq:Host={broker}",
            "--RabbitMq:User=avatar-worker",
            "--XCompute:ApiKey=test-key",
            $"--Avatar:TokenEncryption:Keys={Convert.ToBase64String(new byte[32])}",
            "--Urls=http://127.0.0.1:0",
        ]);

        // Whichever comes first, composing the bus or starting the host, refuses.
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var host = WorkerHost.Build(builder);
            await host.StartAsync();
        });

        Assert.Contains(problem, refused.Message);
    }
}
