using Avatar.Worker.Messaging;
using Npgsql;

namespace Avatar.Worker.Tests;

/// <summary>Which failures mean "a server is away, try again later" (never <c>_error</c>) and which mean "this message cannot succeed".</summary>
public sealed class TransientFailuresTests
{
    [Fact]
    public void No_suitable_host_while_the_old_primary_is_gone_and_the_standby_not_yet_promoted_is_an_outage() =>
        Assert.True(TransientFailures.Is(new InvalidOperationException("a step failed", new NpgsqlException("No suitable host was found."))));

    [Theory]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    public void A_server_in_a_failover_or_a_restart_is_an_outage(string sqlState) =>
        Assert.True(TransientFailures.Is(new PostgresException("failing over", "ERROR", "ERROR", sqlState)));

    [Theory]
    [InlineData(PostgresErrorCodes.RaiseException)]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.UndefinedColumn)]
    public void What_the_server_refuses_about_the_statement_itself_is_not(string sqlState) =>
        Assert.False(TransientFailures.Is(new PostgresException("refused", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void A_refused_publish_is_a_refusal_not_an_outage_although_MassTransit_wraps_it_as_a_connection_failure()
    {
        var refused = new MassTransit.RabbitMqConnectionException("BasicPublishAsync failed", new RabbitMQ.Client.Exceptions.PublishException(7, isReturn: false));

        Assert.True(TransientFailures.IsRefusal(refused));
        Assert.False(TransientFailures.Is(refused));
        Assert.True(TransientFailures.Is(new MassTransit.RabbitMqConnectionException("the broker is away")));
    }

    [Fact]
    public void A_bug_is_not() => Assert.False(TransientFailures.Is(new NullReferenceException()));
}
