using System.Collections.Concurrent;
using Avatar.Worker.Telemetry;
using MassTransit;
using MassTransit.DependencyInjection;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.Transports;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>
/// What the worker does when RabbitMQ refuses a message it sent or published (a <c>basic.nack</c>): the one place
/// that decides whether to reconnect, how long a refused event keeps being sent again, and when to give it up.
/// </summary>
/// <remarks>
/// MassTransit takes a refusal for a connection failure and sends the message again by itself (its transport retry
/// policy: after about 4 s, then further and further apart, for hours), inside the send, so whoever sent waits
/// meanwhile. A refusal has two causes that look alike and need opposite answers:
/// <list type="bullet">
/// <item>A RabbitMQ 3.10 quorum-queue defect: a channel that first publishes to a quorum queue while the queue is
/// electing a new leader gets every later publish to that queue refused, for as long as the channel lives; a new
/// channel is accepted. MassTransit keeps a channel as long as it is open, so the cure is to close the bus's connection:
/// MassTransit opens a new one (to another node when <c>RabbitMq__Nodes</c> lists several) with new channels.</item>
/// <item>A queue that refuses what it is given: a subscriber's queue full with <c>x-overflow=reject-publish</c>, a
/// quorum queue without its majority. A publish is refused when any one queue it reaches refuses it, although every
/// other bound queue got it. No reconnect cures that, and sending again only copies the event to everyone else.</item>
/// </list>
/// So the cure goes only where it is needed and cures: a refused <b>send</b> (the dispatcher's polls, to the worker's
/// own quorum queues, which it cannot work without) reconnects, at most once per pause, which doubles from
/// <see cref="FirstPause"/> up to <see cref="MaxPause"/> while refusals go on. Closing the connection returns every
/// message in flight to its queue and cancels its consumer, so it is never done for a subscriber's queue. A refused
/// <b>event</b> (a publish, through <see cref="RefusalPatienceFilter{T}"/>) is sent again by MassTransit for
/// <see cref="MessagingOptions.RefusalPatience"/> after its first refusal, which outlasts an election (and the reconnect
/// its own queues' refusals bring about in the same election); then it is given up
/// (<c>avatar_events_undelivered_total</c>) and the message that published it is acknowledged: its row is stored,
/// every queue that accepts the event has it, the refusing queue does not. Its type is then refused for good (one
/// warning): its next events are given up at their first refusal, holding no consumer, until RabbitMQ accepts one.
/// </remarks>
internal sealed class RefusedPublishes(
    IServiceProvider services, AvatarMetrics metrics, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<RefusedPublishes> logger)
    : ISendObserver, IPublishObserver
{
    // Short: a reconnect during the election may get a refused channel again, and an election takes a few seconds.
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    private readonly Lock gate = new();

    // The event types given up since RabbitMQ last accepted one of them.
    private readonly ConcurrentDictionary<Type, bool> refusedForGood = new();
    private readonly ConcurrentDictionary<CancellationToken, PublishDeadline> deadlines = new();
    private long lastReconnect;
    private TimeSpan pause = FirstPause;

    /// <summary>Gives the publishes of one consumed message a deadline that starts at their first refusal.</summary>
    public PublishDeadline Watch(CancellationToken consuming) => new(consuming, this);

    internal void Register(CancellationToken token, PublishDeadline deadline) => deadlines[token] = deadline;

    internal void Forget(CancellationToken token) => deadlines.TryRemove(token, out _);

    /// <summary>The refused publishes under <paramref name="deadline"/> were given up after their patience ran out.</summary>
    internal void GaveUp(PublishDeadline deadline)
    {
        foreach (var type in deadline.RefusedTypes)
        {
            metrics.Undelivered(type.Name);
            if (refusedForGood.TryAdd(type, true))
            {
                logger.LogWarning(
                    "RabbitMQ kept refusing {MessageType} for {Patience}: a queue bound to it refuses it (one full with x-overflow=reject-publish, or a quorum queue without its majority). Every other queue gets each such event; the refusing queue does not. From now on each is given up at its first refusal and counted in avatar_events_undelivered_total, until RabbitMQ accepts one",
                    type.Name, options.Value.RefusalPatience);
            }
        }
    }

    /// <summary>How long a publish of <paramref name="type"/> refused now keeps being sent again.</summary>
    internal TimeSpan PatienceFor(Type type) => refusedForGood.ContainsKey(type) ? TimeSpan.Zero : options.Value.RefusalPatience;

    // MassTransit tells each attempt's failure of a send to the send observers, and of a publish to the publish observers.
    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class
    {
        if (TransientFailures.IsRefusal(exception))
        {
            metrics.Refused();
            if (TryStartReconnect(clock.GetTimestamp(), out var next))
            {
                // Not awaited: the refused send fails on its own, and closing waits for the channels the send may be using.
                _ = Task.Run(() => ReconnectAsync(next));
            }
        }

        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class
    {
        if (TransientFailures.IsRefusal(exception))
        {
            metrics.Refused();
            if (deadlines.TryGetValue(context.CancellationToken, out var deadline))
            {
                deadline.Refused(typeof(T), PatienceFor(typeof(T)));
            }
        }

        return Task.CompletedTask;
    }

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        if (!refusedForGood.IsEmpty && refusedForGood.TryRemove(typeof(T), out _))
        {
            logger.LogInformation("RabbitMQ accepts {MessageType} again", typeof(T).Name);
        }

        return Task.CompletedTask;
    }

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    /// <summary>Whether a refused send at <paramref name="now"/> (a monotonic timestamp) reconnects; <paramref name="next"/> is the pause after it.</summary>
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
            logger.LogWarning("RabbitMQ refused a message to the worker's own queue; reconnecting so that every endpoint and send gets a new channel (the next reconnect for a refusal no sooner than {Pause} from now)", next);
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

/// <summary>
/// The publishes of one consumed message: cancelled once the patience given at their first refusal runs out (or by the
/// message's own cancellation), so MassTransit stops sending a refused event again.
/// </summary>
internal sealed class PublishDeadline(CancellationToken consuming, RefusedPublishes owner) : IDisposable
{
    private readonly Lock gate = new();
    private readonly HashSet<Type> refused = [];
    private CancellationTokenSource? source;
    private TimeSpan? patience;

    /// <summary>The token for this message's publishes, made at the first one: a message that publishes nothing costs nothing.</summary>
    public CancellationToken Token
    {
        get
        {
            lock (gate)
            {
                return Source().Token;
            }
        }
    }

    /// <summary>A publish was refused and its patience ran out (or the message was cancelled: the caller tells them apart).</summary>
    public bool GaveUp
    {
        get
        {
            lock (gate)
            {
                return patience is not null && source is { IsCancellationRequested: true };
            }
        }
    }

    /// <summary>The types refused under this deadline.</summary>
    public IReadOnlyCollection<Type> RefusedTypes
    {
        get
        {
            lock (gate)
            {
                return [.. refused];
            }
        }
    }

    internal void Refused(Type type, TimeSpan given)
    {
        CancellationTokenSource cancel;
        lock (gate)
        {
            refused.Add(type);
            if (patience is { } current && current <= given)
            {
                return;
            }

            patience = given;
            cancel = Source();
        }

        // The pending retry delay of MassTransit's transport then ends the publish.
        if (given <= TimeSpan.Zero)
        {
            cancel.Cancel();
        }
        else
        {
            cancel.CancelAfter(given);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (source is not null)
            {
                owner.Forget(source.Token);
                source.Dispose();
            }
        }
    }

    private CancellationTokenSource Source()
    {
        if (source is null)
        {
            source = CancellationTokenSource.CreateLinkedTokenSource(consuming);
            owner.Register(source.Token, this);
        }

        return source;
    }
}
