using Avatar.Worker.Telemetry;
using MassTransit;
using MassTransit.DependencyInjection;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.Transports;
using PublishException = RabbitMQ.Client.Exceptions.PublishException;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Reconnects to RabbitMQ when the broker refuses a message the worker sent or published (a <c>basic.nack</c>), at
/// most once per <see cref="Pause"/>.
/// </summary>
/// <remarks>
/// On RabbitMQ 3.10 a channel that first publishes to a quorum queue while the queue is electing a new leader (its
/// leader's node has just died, and the worker has just reconnected to another node) gets that publish refused, and
/// every later publish to that queue on that channel too, for as long as the channel lives; a new channel opened once
/// the election is over is accepted. MassTransit keeps a channel as long as it is open and has no setting to drop one
/// the broker keeps refusing, so this observer closes the bus's connection: MassTransit opens a new one (to another
/// node when <c>RabbitMq__Nodes</c> lists several) with new channels for every endpoint and send, as after a broker
/// restart. Messages being consumed at that moment are delivered again, which every consumer already tolerates.
/// Refusals for other reasons (a queue that lost its majority) cost one reconnect per pause and change nothing else.
/// </remarks>
internal sealed class RefusedPublishes(IServiceProvider services, AvatarMetrics metrics, TimeProvider clock, ILogger<RefusedPublishes> logger)
    : ISendObserver, IPublishObserver
{
    // Short: a reconnect during the election may get a refused channel again, and an election takes a few seconds.
    public static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    private long lastReconnect = long.MinValue;

    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    /// <summary>The broker refused the message (a nack), as opposed to returning it unroutable or the connection failing.</summary>
    public static bool IsRefusal(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PublishException { IsReturn: false })
            {
                return true;
            }
        }

        return false;
    }

    private Task Observe(Exception exception)
    {
        if (!IsRefusal(exception))
        {
            return Task.CompletedTask;
        }

        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref lastReconnect);
        if (last != long.MinValue && clock.GetElapsedTime(last, now) < Pause
            || Interlocked.CompareExchange(ref lastReconnect, now, last) != last)
        {
            return Task.CompletedTask;
        }

        // Not awaited: the refused send fails on its own, and closing waits for the channels the send may be using.
        _ = Task.Run(ReconnectAsync);
        return Task.CompletedTask;
    }

    private async Task ReconnectAsync()
    {
        try
        {
            logger.LogWarning("RabbitMQ refused a message; reconnecting so that every endpoint and send gets a new channel");
            metrics.Reconnected("refused_publish");
            var bus = services.GetRequiredService<Bind<IBus, IBusInstance>>().Value;
            var connections = ((IRabbitMqHostConfiguration)bus.HostConfiguration).ConnectionContextSupervisor;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await connections.Send(
                Pipe.ExecuteAsync<ConnectionContext>(c => c.Connection.CloseAsync(320, "reconnecting after a refused publish", TimeSpan.FromSeconds(10), false, timeout.Token)),
                timeout.Token);
        }
        catch (Exception exception)
        {
            // The connection may be gone already, or going: MassTransit opens a new one either way.
            logger.LogDebug(exception, "Closing the RabbitMQ connection after a refused message failed");
        }
    }
}
