using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Failures that come from a dependency being away (PostgreSQL restarting or failing over, RabbitMQ restarting, the
/// network), not from the message: the same message will succeed once the dependency is back. A publish the broker
/// refused (<see cref="IsRefusal"/>) is neither: the broker is there and took the message for every other bound queue.
/// </summary>
public static class TransientFailures
{
    // A refusal comes wrapped in MassTransit's connection exception, which alone would read as "the broker is away".
    public static bool Is(Exception exception) => !IsRefusal(exception) && Chain(exception).Any(e => e switch
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

        _ => false,
    });

    /// <summary>
    /// The broker refused a message the worker sent or published (a <c>basic.nack</c>: a quorum queue electing a leader
    /// or without its majority, a bound queue full with <c>x-overflow=reject-publish</c>), as opposed to returning it
    /// unroutable or the connection failing.
    /// </summary>
    public static bool IsRefusal(Exception exception) =>
        Chain(exception).Any(e => e is RabbitMQ.Client.Exceptions.PublishException { IsReturn: false });

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
