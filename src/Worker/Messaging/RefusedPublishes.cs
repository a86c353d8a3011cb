using Avatar.Worker.Telemetry;
using MassTransit;
using MassTransit.DependencyInjection;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.Transports;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Reconnects to RabbitMQ when the broker refuses a message the worker sent or published (a <c>basic.nack</c>): at
/// once after the first refusal, then, while refusals go on, at most once per pause that doubles from
/// <see cref="FirstPause"/> up to <see cref="MaxPause"/>, and starts again at the first after <see cref="MaxPause"/> without one.
/// </summary>
/// <remarks>
/// On RabbitMQ 3.10 a channel that first publishes to a quorum queue while the queue is electing a new leader (its
/// leader's node has just died, and the worker has just reconnected to another node) gets that publish refused, and
/// every later publish to that queue on that channel too, for as long as the channel lives; a new channel opened once
/// the election is over is accepted. MassTransit keeps a channel as long as it is open and has no setting to drop one
/// the broker keeps refusing, so this observer closes the bus's connection: MassTransit opens a new one (to another
/// node when <c>RabbitMq__Nodes</c> lists several) with new channels for every endpoint and send, as after a broker
/// restart. Messages being consumed at that moment are delivered again, which every consumer already tolerates.
/// <para>
/// The defect hits any quorum queue the worker reaches, its own poll queues and the callers' event queues alike, and a
/// refusal does not say which queue refused or why, so every refusal counts. Refusals the reconnect cannot cure (a
/// subscriber's queue that is full with <c>x-overflow=reject-publish</c>, a quorum queue without its majority) cost one
/// reconnect, then one per pause: after five minutes of them, one every five minutes, not one a message. The refused
/// message itself MassTransit sends again by itself (its transport retry policy takes the nack for a connection failure).
/// </para>
/// </remarks>
internal sealed class RefusedPublishes(IServiceProvider services, AvatarMetrics metrics, TimeProvider clock, ILogger<RefusedPublishes> logger)
    : ISendObserver, IPublishObserver
{
    // Short: a reconnect during the election may get a refused channel again, and an election takes a few seconds.
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    private readonly Lock gate = new();
    private long lastReconnect;
    private TimeSpan pause = FirstPause;

    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    private Task Observe(Exception exception)
    {
        if (!TransientFailures.IsRefusal(exception))
        {
            return Task.CompletedTask;
        }

        metrics.Refused();
        if (!TryStartReconnect(clock.GetTimestamp(), out var next))
        {
            return Task.CompletedTask;
        }

        // Not awaited: the refused send fails on its own, and closing waits for the channels the send may be using.
        _ = Task.Run(() => ReconnectAsync(next));
        return Task.CompletedTask;
    }

    /// <summary>Whether a refusal at <paramref name="now"/> (a monotonic timestamp) reconnects; <paramref name="next"/> is the pause after it.</summary>
    internal bool TryStartReconnect(long now, out TimeSpan next)
    {
        lock (gate)
        {
            next = pause;
            if (lastReconnect != 0)
            {
                var since = clock.GetElapsedTime(lastReconnect, now);
                if (since < pause)
                {
                    return false;
                }

                // Refusals that go on after a reconnect are not cured by it: wait twice as long before the next one.
                pause = since < pause + MaxPause ? Min(pause * 2, MaxPause) : FirstPause;
            }

            lastReconnect = now;
            next = pause;
            return true;
        }

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    private async Task ReconnectAsync(TimeSpan next)
    {
        try
        {
            logger.LogWarning("RabbitMQ refused a message; reconnecting so that every endpoint and send gets a new channel (the next reconnect for a refusal no sooner than {Pause} from now)", next);
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
