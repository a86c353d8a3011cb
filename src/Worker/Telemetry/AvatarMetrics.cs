using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Avatar.Worker.Telemetry;

/// <summary>
/// The worker's own instruments, on the meter <c>Avatar.Worker</c>, named <c>avatar.*</c> (Prometheus shows them as
/// <c>avatar_*</c>). What generic instrumentation cannot tell: how flows end, how long reviews take, what polling
/// costs, and (in <see cref="BacklogGauges"/>) how far behind the schedule is.
/// </summary>
public sealed class AvatarMetrics : IDisposable
{
    public const string MeterName = "Avatar.Worker";

    private readonly Meter meter;
    private readonly Counter<long> outcomes;
    private readonly Histogram<double> reviewDuration;
    private readonly Counter<long> polls;
    private readonly Counter<long> requests;
    private readonly Histogram<double> requestDuration;
    private readonly Counter<long> reconnects;
    private readonly Counter<long> refused;
    private readonly Counter<long> undelivered;

    public AvatarMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        outcomes = meter.CreateCounter<long>("avatar.outcomes", "{event}", "Flows ended (or commands refused), by event and error code; re-published copies are not counted.");
        reviewDuration = meter.CreateHistogram<double>(
            "avatar.review.duration", "s", "From SubmitAvatarAssets to the review's outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [5, 10, 20, 30, 60, 120, 300, 600, 900, 1800] });
        polls = meter.CreateCounter<long>("avatar.polls", "{poll}", "Poll messages handled, by table and result.");
        requests = meter.CreateCounter<long>("avatar.xcompute.requests", "{request}", "Calls to xcompute, by operation and HTTP status (or transport failure).");
        requestDuration = meter.CreateHistogram<double>(
            "avatar.xcompute.request.duration", "s", "How long one call to xcompute took.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15] });
        reconnects = meter.CreateCounter<long>("avatar.broker.reconnects", "{reconnect}", "Times the worker closed its RabbitMQ connection to get new channels, by reason.");
        refused = meter.CreateCounter<long>("avatar.broker.refused", "{message}", "Sends and publishes RabbitMQ refused (basic.nack); MassTransit sends each again.");
        undelivered = meter.CreateCounter<long>(
            "avatar.events.undelivered", "{event}", "Events given up after RabbitMQ kept refusing them, by event: every queue that accepted them has them, the refusing queue does not.");
    }

    public Meter Meter => meter;

    /// <summary>A flow ended with <paramref name="outcome"/> (an event of <c>Avatar.Contracts</c>).</summary>
    public void Ended(object outcome) => outcomes.Add(
        1, new KeyValuePair<string, object?>("event", outcome.GetType().Name), new KeyValuePair<string, object?>("error_code", ErrorCodeOf(outcome)));

    public void ReviewEnded(TimeSpan duration) => reviewDuration.Record(duration.TotalSeconds);

    /// <summary>One poll message handled: <paramref name="result"/> is <c>stale</c>, <c>waiting</c> (scheduled again) or <c>ended</c>.</summary>
    public void Polled(string table, string result) => polls.Add(
        1, new KeyValuePair<string, object?>("table", table), new KeyValuePair<string, object?>("result", result));

    public void Requested(string operation, string status, TimeSpan duration)
    {
        var tags = new TagList { { "operation", operation }, { "status", status } };
        requests.Add(1, tags);
        requestDuration.Record(duration.TotalSeconds, tags);
    }

    public void Reconnected(string reason) => reconnects.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Refused() => refused.Add(1);

    public void Undelivered(string eventName) => undelivered.Add(1, new KeyValuePair<string, object?>("event", eventName));

    public void Dispose() => meter.Dispose();

    private static string ErrorCodeOf(object outcome) =>
        outcome.GetType().GetProperty("ErrorCode")?.GetValue(outcome) as string ?? "none";
}
