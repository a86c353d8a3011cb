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
/// policy: after about 4 s, then further and further apart, for hours), inside the publish, so the consumer that
/// published waits meanwhile. A refusal has two causes that look alike and need opposite answers:
/// <list type="bullet">
/// <item>A RabbitMQ 3.10 quorum-queue defect: a channel that first publishes to a quorum queue while the queue is
/// electing a new leader gets every later publish to that queue refused, for as long as the channel lives; a new
/// channel is accepted. MassTransit keeps a channel as long as it is open, so the cure is to close the bus's connection:
/// MassTransit opens a new one (to another node when <c>RabbitMq__Nodes</c> lists several) with new channels, as after a
/// broker restart. Messages being consumed at that moment are delivered again, which every consumer tolerates.</item>
/// <item>A queue that refuses what it is given: a subscriber's queue full with <c>x-overflow=reject-publish</c>, a
/// quorum queue without its majority. A fanout publish is refused when any one bound queue refuses it, although every
/// other bound queue got it. No reconnect cures that, and sending again only copies the event to everyone else.</item>
/// </list>
/// So a refusal reconnects, at most once per pause, which doubles from <see cref="FirstPause"/> up to
/// <see cref="MaxPause"/> while refusals go on. A message type refused again after two reconnects that followed its first
/// refusal is not cured by them: it is refused for good, which is logged once. An event published by a consumer (through <see cref="RefusalPatienceFilter{T}"/>)
/// is sent again for <see cref="MessagingOptions.RefusalPatience"/> after its first refusal, enough to outlast an
/// election, and not at all once its type is refused for good; then it is given up (<c>avatar_events_undelivered_total</c>)
/// and the message that published it is acknowledged: its row is stored, every queue that accepts the event has it, and
/// the refusing queue does not get it. The first publish of the type that RabbitMQ accepts ends all this.
/// </remarks>
internal sealed class RefusedPublishes(
    IServiceProvider services, AvatarMetrics metrics, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<RefusedPublishes> logger)
    : ISendObserver, IPublishObserver
{
    // Short: a reconnect during the election may get a refused channel again, and an election takes a few seconds.
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    // Two: the first reconnect may come while the election that caused the refusal is still going on.
    private const int ReconnectsToGiveUp = 2;

    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<Type, Refusal> refusals = new();
    private readonly ConcurrentDictionary<CancellationToken, PublishDeadline> deadlines = new();
    private long lastReconnect;
    private int reconnectsStarted;
    private int reconnectsDone;
    private TimeSpan pause = FirstPause;

    /// <summary>Gives the publishes of one consumed message a deadline that starts at their first refusal.</summary>
    public PublishDeadline Watch(CancellationToken consuming)
    {
        var deadline = new PublishDeadline(consuming, this);
        deadlines[deadline.Token] = deadline;
        return deadline;
    }

    internal void Forget(PublishDeadline deadline) => deadlines.TryRemove(deadline.Token, out _);

    /// <summary>The refused publishes under <paramref name="deadline"/> were given up after their patience ran out.</summary>
    internal void GaveUp(PublishDeadline deadline)
    {
        foreach (var type in deadline.RefusedTypes)
        {
            metrics.Undelivered(type.Name);
        }
    }

    // MassTransit tells each attempt's failure of a send to the send observers, and of a publish to the publish observers.
    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Observe(typeof(T), context.CancellationToken, exception);

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Observe(typeof(T), context.CancellationToken, exception);

    public Task PostSend<T>(SendContext<T> context) where T : class => Accepted(typeof(T));

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Accepted(typeof(T));

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    private Task Observe(Type type, CancellationToken token, Exception exception)
    {
        if (!TransientFailures.IsRefusal(exception))
        {
            return Task.CompletedTask;
        }

        metrics.Refused();
        var (reconnect, forGood) = Refused(type, clock.GetTimestamp(), out var next);
        if (deadlines.TryGetValue(token, out var deadline))
        {
            deadline.Refused(type, forGood ? TimeSpan.Zero : options.Value.RefusalPatience);
        }

        if (reconnect)
        {
            // Not awaited: the refused send fails on its own, and closing waits for the channels the send may be using.
            _ = Task.Run(() => ReconnectAsync(next));
        }

        return Task.CompletedTask;
    }

    private Task Accepted(Type type)
    {
        if (!refusals.IsEmpty && refusals.TryRemove(type, out var refusal) && refusal.ForGood)
        {
            logger.LogInformation("RabbitMQ accepts {MessageType} again", type.Name);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A refusal of <paramref name="type"/> at <paramref name="now"/> (a monotonic timestamp): whether to reconnect
    /// (<paramref name="next"/> is the pause after it), and whether the type is refused for good.
    /// </summary>
    internal (bool Reconnect, bool ForGood) Refused(Type type, long now, out TimeSpan next)
    {
        lock (gate)
        {
            next = pause;
            // Reconnects started before this type's first refusal do not count: its channel may be older than them.
            var refusal = refusals.GetOrAdd(type, _ => new Refusal(reconnectsStarted));
            if (!refusal.ForGood && reconnectsDone - refusal.ReconnectsBefore >= ReconnectsToGiveUp)
            {
                refusal.ForGood = true;
                logger.LogWarning(
                    "RabbitMQ keeps refusing {MessageType} on a new connection: a queue bound to it refuses it (one full with x-overflow=reject-publish, or a quorum queue without its majority). Every other queue gets each such message once or twice; the refusing queue does not. Given-up messages are counted in avatar_events_undelivered_total",
                    type.Name);
            }

            // Reconnecting goes on, with the same backoff: a quorum queue that lost its majority for a while may leave a
            // channel that refuses it for good once it is back.
            return (TryStartReconnect(now, out next), refusal.ForGood);
        }
    }

    /// <summary>A reconnect has given every endpoint and send a new channel.</summary>
    internal void ReconnectDone()
    {
        lock (gate)
        {
            reconnectsDone++;
        }
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
            reconnectsStarted++;
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
        finally
        {
            ReconnectDone();
        }
    }

    private sealed class Refusal(int reconnectsBefore)
    {
        public int ReconnectsBefore { get; } = reconnectsBefore;

        public bool ForGood { get; set; }
    }
}

/// <summary>
/// The publishes of one consumed message: cancelled once the patience given at their first refusal runs out (or by the
/// message's own cancellation), so MassTransit stops sending a refused event again.
/// </summary>
internal sealed class PublishDeadline : IDisposable
{
    private readonly CancellationTokenSource source;
    private readonly RefusedPublishes owner;
    private readonly Lock gate = new();
    private readonly HashSet<Type> refused = [];
    private TimeSpan? patience;

    public PublishDeadline(CancellationToken consuming, RefusedPublishes owner)
    {
        source = CancellationTokenSource.CreateLinkedTokenSource(consuming);
        this.owner = owner;
        Token = source.Token;
    }

    public CancellationToken Token { get; }

    /// <summary>A publish was refused and its patience ran out (or the message was cancelled: the caller tells them apart).</summary>
    public bool GaveUp => patience is not null && Token.IsCancellationRequested;

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
        lock (gate)
        {
            refused.Add(type);
            if (patience is { } current && current <= given)
            {
                return;
            }

            patience = given;
        }

        // Cancelled at once for zero; the pending retry delay of MassTransit's transport then ends the publish.
        source.CancelAfter(given);
    }

    public void Dispose()
    {
        owner.Forget(this);
        source.Dispose();
    }
}
