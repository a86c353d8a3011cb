using System.Collections.Concurrent;
using Avatar.Contracts;
using MassTransit;

namespace Avatar.Testing;

/// <summary>Every event the worker published during the run, as another service would receive it from RabbitMQ.</summary>
public sealed class EventLog
{
    private readonly Avatar.Demo.EventWaiter events = new();
    private readonly ConcurrentDictionary<object, string> traceParents = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<object, DateTimeOffset> arrivals = new(ReferenceEqualityComparer.Instance);

    public void Add(object message, string? traceParent = null)
    {
        arrivals[message] = DateTimeOffset.UtcNow;
        if (traceParent is not null)
        {
            traceParents[message] = traceParent;
        }

        events.Add(message);
    }

    /// <summary>The W3C trace context <paramref name="message"/> arrived with, if any.</summary>
    public string? TraceParentOf(object message) => traceParents.GetValueOrDefault(message);

    /// <summary>When <paramref name="message"/> reached this subscriber.</summary>
    public DateTimeOffset ArrivedAt(object message) => arrivals[message];

    public IReadOnlyList<T> All<T>(Func<T, bool> predicate) => events.Arrived.OfType<T>().Where(predicate).ToList();

    /// <summary>
    /// The promise, checked: every flow id that received two different outcomes (event type and error code), described.
    /// A session's outcomes are <c>AvatarSessionFailed</c>, or <c>AvatarSessionCreated</c> and then one of
    /// <c>AvatarAuthVerified</c> and <c>AvatarAuthFailed</c>; a submission's, one of <c>AvatarAssetsApproved</c> and
    /// <c>AvatarAssetsRejected</c>. Copies of one outcome are fine; refusals (<c>AvatarCommandRefused</c>) are not outcomes.
    /// </summary>
    public IReadOnlyList<string> Conflicts()
    {
        var ends = new Dictionary<Guid, HashSet<string>>();
        var created = new HashSet<Guid>();
        foreach (var message in events.Arrived)
        {
            if (message is AvatarSessionCreated c)
            {
                created.Add(c.SessionId);
            }
            else if (EndOf(message) is var (id, kind))
            {
                (ends.TryGetValue(id, out var kinds) ? kinds : ends[id] = []).Add(kind);
            }
        }

        return [.. from end in ends
                   let kinds = end.Value
                   where kinds.Count > 1 || (created.Contains(end.Key) && kinds.Any(k => k.StartsWith(nameof(AvatarSessionFailed), StringComparison.Ordinal)))
                   select $"{end.Key}: {(created.Contains(end.Key) ? "AvatarSessionCreated, " : "")}{string.Join(", ", kinds.Order())}"];

        static (Guid, string)? EndOf(object message) => message switch
        {
            AvatarSessionFailed f => (f.SessionId, $"{nameof(AvatarSessionFailed)}({f.ErrorCode})"),
            AvatarAuthVerified => (((AvatarAuthVerified)message).SessionId, nameof(AvatarAuthVerified)),
            AvatarAuthFailed f => (f.SessionId, $"{nameof(AvatarAuthFailed)}({f.ErrorCode})"),
            AvatarAssetsApproved a => (a.SubmissionId, nameof(AvatarAssetsApproved)),
            AvatarAssetsRejected r => (r.SubmissionId, $"{nameof(AvatarAssetsRejected)}({r.ErrorCode})"),
            _ => null,
        };
    }

    /// <summary>Waits for the first event of type <typeparamref name="T"/> that matches: it ends when that event arrives.</summary>
    public async Task<T> WaitFor<T>(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        try
        {
            return await events.WaitFor(predicate, timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            var seen = string.Join(Environment.NewLine, events.Arrived.Select(e => $"  {e}"));
            throw new TimeoutException($"No matching {typeof(T).Name} within {timeout ?? TimeSpan.FromSeconds(30)}. Events seen:{Environment.NewLine}{seen}");
        }
    }
}

public sealed class EventRecorder(EventLog log) :
    IConsumer<AvatarSessionCreated>,
    IConsumer<AvatarSessionFailed>,
    IConsumer<AvatarAuthVerified>,
    IConsumer<AvatarAuthFailed>,
    IConsumer<AvatarAssetsApproved>,
    IConsumer<AvatarAssetsRejected>,
    IConsumer<AvatarCommandRefused>
{
    public Task Consume(ConsumeContext<AvatarSessionCreated> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarSessionFailed> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAuthVerified> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAuthFailed> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAssetsApproved> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarAssetsRejected> context) => Record(context);

    public Task Consume(ConsumeContext<AvatarCommandRefused> context) => Record(context);

    private Task Record<T>(ConsumeContext<T> context)
        where T : class
    {
        log.Add(context.Message, context.Headers.Get<string>(MassTransit.Logging.DiagnosticHeaders.ActivityId));
        return Task.CompletedTask;
    }
}
