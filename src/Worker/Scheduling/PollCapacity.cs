using Microsoft.Extensions.Options;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// Backpressure for the dispatcher: how many claims this instance may have waiting in the poll queues. A claim that
/// waits longer than its lease lapses and is claimed again, which only wastes work; so the dispatcher keeps no more
/// waiting than this instance starts in half a lease, measured over the last <see cref="Window"/>. Counts live in memory
/// because they describe this process only; every instance sends and consumes about equally (RabbitMQ spreads the
/// queue), and a count older than a lease is forgotten, since its claim has lapsed anyway.
/// </summary>
/// <param name="concurrency">How many poll messages one consumer of this instance handles at once (<c>Messaging:ConcurrentMessageLimit</c>).</param>
public sealed class PollCapacity(IOptions<PollingOptions> polling, int concurrency, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    // Before anything is measured, assume a step takes two seconds.
    private static readonly TimeSpan AssumedStep = TimeSpan.FromSeconds(2);

    private readonly TimeSpan lease = polling.Value.Lease;
    private readonly Queue<DateTimeOffset> waiting = new();
    private readonly Queue<DateTimeOffset> started = new();
    private readonly DateTimeOffset since = clock.GetUtcNow();
    private readonly Lock gate = new();

    /// <summary>How many more claims the dispatcher may send now.</summary>
    public int Available()
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            Forget(waiting, now - lease);
            Forget(started, now - Window);

            // Until a full window has passed, assume the consumers' concurrency at the assumed step time.
            var perSecond = now - since >= Window
                ? started.Count / Window.TotalSeconds
                : Math.Max(started.Count / Math.Max((now - since).TotalSeconds, 1), concurrency / AssumedStep.TotalSeconds);
            var limit = Math.Max(2 * concurrency, (int)(perSecond * lease.TotalSeconds / 2));
            return Math.Max(0, limit - waiting.Count);
        }
    }

    public void Sent(int claims)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            for (var i = 0; i < claims; i++)
            {
                waiting.Enqueue(now);
            }
        }
    }

    /// <summary>A poll consumer of this instance took a message off the queue.</summary>
    public void Started()
    {
        lock (gate)
        {
            waiting.TryDequeue(out _);
            started.Enqueue(clock.GetUtcNow());
        }
    }

    private static void Forget(Queue<DateTimeOffset> times, DateTimeOffset before)
    {
        while (times.TryPeek(out var time) && time < before)
        {
            times.Dequeue();
        }
    }
}
