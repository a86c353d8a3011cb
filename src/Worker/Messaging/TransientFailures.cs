using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Failures that come from a dependency being away (PostgreSQL restarting or failing over, RabbitMQ restarting, the
/// network, a broker refusing a publish for a while), not from the message: the same message will succeed once the
/// dependency is back.
/// </summary>
public static class TransientFailures
{
    public static bool Is(Exception exception) => Chain(exception).Any(e => e switch
    {
        // A server that is in the middle of a failover: still a standby, or read-only while it is promoted.
        PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.CannotConnectNow } => true,
        PostgresException postgres => postgres.IsTransient,

        // Npgsql's own failures (not the server's answer) are about reaching the server: a refused or dropped
        // connection, a timeout, and with several hosts "No suitable host was found" while the old primary is gone and
        // the standby not yet promoted, which Npgsql does not mark transient.
        NpgsqlException => true,
        RetryLimitExceededException => true,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        MassTransit.ConnectionException or MassTransit.TransportUnavailableException => true,
        RabbitMQ.Client.Exceptions.BrokerUnreachableException
            or RabbitMQ.Client.Exceptions.AlreadyClosedException
            or RabbitMQ.Client.Exceptions.OperationInterruptedException => true,

        // The broker refused a publish (a nack: a quorum queue without its majority or electing a leader, a bound
        // queue full with reject-publish), as opposed to returning it unroutable: it may take it later.
        RabbitMQ.Client.Exceptions.PublishException { IsReturn: false } => true,
        _ => false,
    });

    internal static IEnumerable<Exception> Chain(Exception exception)
    {
        var pending = new Stack<Exception>([exception]);
        while (pending.TryPop(out var current))
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }
}
