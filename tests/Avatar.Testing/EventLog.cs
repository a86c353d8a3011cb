using System.Collections.Concurrent;
using Avatar.Contracts;
using MassTransit;

namespace Avatar.Testing;

/// <summary>Every event the worker published during the run, as another service would receive it from RabbitMQ.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<object> events = new();
    private readonly ConcurrentDictionary<object, string> traceParents = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<object, DateTimeOffset> arrivals = new(ReferenceEqualityComparer.Instance);

    public void Add(object message, string? traceParent = null)
    {
        arrivals[message] = DateTimeOffset.UtcNow;
        if (traceParent is not null)
        {
            traceParents[message] = traceParent;
        }

        events.Enqueue(message);
    }

    /// <summary>The W3C trace context <paramref name="message"/> arrived with, if any.</summary>
    public string? TraceParentOf(object message) => traceParents.GetValueOrDefault(message);

    /// <summary>When <paramref name="message"/> reached this subscriber.</summary>
    public DateTimeOffset ArrivedAt(object message) => arrivals[message];

    public IReadOnlyList<T> All<T>(Func<T, bool> predicate) => events.OfType<T>().Where(predicate).ToList();

    /// <summary>Waits for the first event of type <typeparamref name="T"/> that matches.</summary>
    public async Task<T> WaitFor<T>(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            if (events.OfType<T>().FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        var seen = string.Join(Environment.NewLine, events.Select(e => $"  {e}"));
        throw new TimeoutException($"No matching {typeof(T).Name} within {timeout ?? TimeSpan.FromSeconds(30)}. Events seen:{Environment.NewLine}{seen}");
    }
}

public sealed class EventRecorder(EventLog log) :
    IConsumer<AvatarSessionCreated>,
    IConsumer<AvatarSessionFailed>,
    IConsumer<AvatarAuthVerified>,
    IConsumer<AvatarAuthFailed>,
    IConsumer<AvatarAssetsApproved>,
    IConsumer<AvatarAssetsRejected>
{
    public Task Consume(ConsumeContext<AvatarSessionCreated> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarSessionFailed> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAuthVerified> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAuthFailed> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAssetsApproved> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAssetsRejected> context) => Record(context);

    private Task Record<T>(ConsumeContext<T> context)
        where T : class
    {
        log.Add(context.Message, context.Headers.Get<string>(MassTransit.Logging.DiagnosticHeaders.ActivityId));
        return Task.CompletedTask;
    }
}
