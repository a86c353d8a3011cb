using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.Messaging;

public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>
    /// The largest message an endpoint reads, in bytes (64 KiB): a larger command ends in its failure event without
    /// being deserialized, or goes to <c>_error</c> when its id cannot be read (<see cref="CommandSizeLimit"/>).
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public long MaxMessageSize { get; set; } = 64 * 1024;

    /// <summary>How many messages one consumer handles at once in this instance.</summary>
    [Range(1, 1000)]
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>
    /// How long a message keeps being retried while PostgreSQL or RabbitMQ is away (a restart, a failover). Retries
    /// start at 1 s and double up to 30 s apart until they span this long; then the message goes back to its queue
    /// (never to <c>_error</c>). Meanwhile the <see cref="OutageGate"/> stops the endpoints if PostgreSQL is away.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan OutageTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long an event RabbitMQ refuses (<c>basic.nack</c>) keeps being sent again after its first refusal before it
    /// is given up (<see cref="RefusedPublishes"/>): long enough to outlast a quorum queue's leader election, and the
    /// reconnect the worker's own queues' refusals bring about in it.
    /// </summary>
    public TimeSpan RefusalPatience { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On a stop (SIGTERM, a deploy, a scale-in) or an outage pause, how long the messages in flight get to finish before
    /// they are cancelled and go back to their queue. Longer than <c>XCompute:RequestTimeout</c>, so a call to xcompute
    /// already sent is answered and stored rather than left unknown.
    /// </summary>
    public TimeSpan ConsumerStopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a stop waits for the bus: the consumers' time, and 10 s for the broker to take the acknowledgements.</summary>
    public TimeSpan BusStopTimeout => ConsumerStopTimeout + TimeSpan.FromSeconds(10);

    /// <summary>How long the host waits for everything to stop; an orchestrator's grace period should be longer (45 s by default).</summary>
    public TimeSpan ShutdownTimeout => BusStopTimeout + TimeSpan.FromSeconds(5);

    /// <summary>Retries of a message whose consumer threw for any other reason, before it moves to its <c>_error</c> queue.</summary>
    public TimeSpan[] RetryIntervals { get; set; } = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    /// <summary>The kill switch stops an endpoint when this share of its last messages (at least 10) faulted, for <see cref="KillSwitchRestart"/>.</summary>
    public double KillSwitchTripThreshold { get; set; } = 0.15;

    public TimeSpan KillSwitchRestart { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The retry intervals that span <see cref="OutageTolerance"/>.</summary>
    public TimeSpan[] OutageIntervals()
    {
        var intervals = new List<TimeSpan>();
        var next = TimeSpan.FromSeconds(1);
        for (var total = TimeSpan.Zero; total < OutageTolerance; total += next, next = Min(next * 2, TimeSpan.FromSeconds(30)))
        {
            intervals.Add(Min(next, OutageTolerance - total));
        }

        return [.. intervals];

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }
}
