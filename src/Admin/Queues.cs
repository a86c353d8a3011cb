using Avatar.Worker.Messaging;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Avatar.Admin;

/// <summary>The worker's queues on RabbitMQ, reached with the worker's own <c>RabbitMq:*</c> settings.</summary>
internal sealed class Queues(IConnection connection) : IAsyncDisposable
{
    /// <summary>Every queue the worker consumes (MassTransit creates <c>{queue}_error</c> beside each on its first fault).</summary>
    public static readonly string[] WorkerQueues = ["create-avatar-session", "avatar-auth-completed", "submit-avatar-assets", "get-avatar-status", "poll-session", "poll-submission"];

    public static async Task<Queues> ConnectAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var (transport, broker) = Broker.Read(configuration);
        var factory = new ConnectionFactory
        {
            VirtualHost = transport.VHost,
            UserName = transport.User,
            Password = transport.Pass,
            ClientProvidedName = "avatar-admin",
        };

        // A cluster's nodes, the first that answers; else Host and Port.
        var endpoints = broker.NodeList is { Count: > 0 } nodes
            ? nodes.Select(n => AmqpTcpEndpoint.Parse(n)).ToList()
            : [new AmqpTcpEndpoint(transport.Host, transport.Port)];
        if (transport.UseSsl)
        {
            endpoints.ForEach(e => e.Ssl.Enabled = true);
        }

        return new Queues(await factory.CreateConnectionAsync(endpoints, cancellationToken));
    }

    /// <summary>Messages waiting in <c>{queue}_error</c>; 0 when it was never created.</summary>
    public async Task<uint> ErrorDepthAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync($"{queue}_error", cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Moves every message now in <c>{queue}_error</c> to the queue's own exchange (MassTransit binds one of the same name
    /// to each queue), body and headers unchanged, each acknowledged only once the broker confirmed the copy. Counts only
    /// the messages there when it started, so a message that fails again is not moved in a loop.
    /// </summary>
    public async Task<long> RedriveAsync(string queue, bool dryRun, CancellationToken cancellationToken)
    {
        var waiting = await ErrorDepthAsync(queue, cancellationToken);
        if (dryRun || waiting == 0)
        {
            return waiting;
        }

        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var moved = 0L;
        while (moved < waiting && await channel.BasicGetAsync($"{queue}_error", autoAck: false, cancellationToken) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties);
            await channel.BasicPublishAsync(queue, "", mandatory: true, properties, message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }

        return moved;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
