using System.Net.Security;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace Avatar.Worker.Messaging;

/// <summary>
/// How the worker reaches RabbitMQ, beside MassTransit's own <see cref="RabbitMqTransportOptions"/> (Host, Port, VHost,
/// User, Pass, UseSsl) in the same <c>RabbitMq</c> section: which nodes, and which type of queue its endpoints declare.
/// </summary>
public sealed class BrokerOptions
{
    public const string Section = "RabbitMq";

    /// <summary>
    /// The type of every queue the worker consumes, their <c>_error</c> queues included. Quorum queues are replicated
    /// across a cluster's nodes and survive the loss of a minority of them; classic queues live on one node.
    /// </summary>
    public BrokerQueueType QueueType { get; set; } = BrokerQueueType.Quorum;

    /// <summary>
    /// A cluster's nodes, <c>host:port</c> separated by commas (<c>RabbitMq__Nodes=10.0.0.1:5672,10.0.0.2:5672</c>).
    /// The bus connects to the first node it reaches and moves to another when that node goes away. Empty: Host and
    /// Port alone.
    /// </summary>
    public string? Nodes { get; set; }

    /// <summary>
    /// Development switch: connect to a broker on another machine without TLS (compose's private network). Without it
    /// the worker refuses to start so (Security/ConnectionSecurity.cs checks it).
    /// </summary>
    public bool AllowInsecureConnection { get; set; }

    public IReadOnlyList<string> NodeList =>
        Nodes?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}

public enum BrokerQueueType
{
    Quorum,
    Classic,
}

/// <summary>The connection and the queue type, applied where MassTransit is configured (the worker, and <c>avatar-admin</c>).</summary>
public static class Broker
{
    /// <summary>Both option types read from the <c>RabbitMq</c> section, for a bus built outside dependency injection.</summary>
    public static (RabbitMqTransportOptions Transport, BrokerOptions Broker) Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(BrokerOptions.Section);
        var transport = new RabbitMqTransportOptions();
        var broker = new BrokerOptions();
        section.Bind(transport);
        section.Bind(broker);
        return (transport, broker);
    }

    /// <summary>The host, its credentials, the cluster's nodes if any, and publisher confirms (a publish completes once the broker has the message).</summary>
    public static void ConfigureHost(IRabbitMqBusFactoryConfigurator cfg, RabbitMqTransportOptions transport, BrokerOptions broker)
    {
        cfg.Host(transport.Host, transport.Port, transport.VHost, h =>
        {
            h.Username(transport.User);
            h.Password(transport.Pass);
            if (transport.UseSsl)
            {
                // MassTransit accepts a certificate whose chain does not verify unless told otherwise; the worker checks
                // the chain and that the certificate names the host (every node's certificate must name RabbitMq:Host).
                h.UseSsl(ssl =>
                {
                    ssl.ServerName = transport.Host;
                    ssl.EnforcePolicyErrors(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable);
                });
            }

            h.PublisherConfirmation = true;
            if (broker.NodeList is { Count: > 0 } nodes)
            {
                h.UseCluster(c =>
                {
                    foreach (var node in nodes)
                    {
                        c.Node(node);
                    }
                });
            }
        });
    }

    /// <summary>
    /// Declares a receive endpoint's queue as <see cref="BrokerOptions.QueueType"/>. MassTransit gives the endpoint's
    /// <c>_error</c> (and <c>_skipped</c>) queue the same arguments, so they are of the same type.
    /// </summary>
    public static void ApplyQueueType(IReceiveEndpointConfigurator endpoint, BrokerOptions broker)
    {
        if (broker.QueueType == BrokerQueueType.Quorum && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
