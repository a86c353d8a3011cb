using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.Scheduling;

/// <summary>The durable schedule's timings (section <c>Avatar:Polling</c>).</summary>
public sealed class PollingOptions
{
    /// <summary>The first wait between two polls.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Each wait is this much longer than the one before.</summary>
    [Range(1.0, 10.0)]
    public double Multiplier { get; set; } = 1.5;

    /// <summary>The longest wait between two polls.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How a review in progress is polled: <see cref="PollingStrategy.Adaptive"/> by default.</summary>
    public PollingStrategy Strategy { get; set; } = PollingStrategy.Adaptive;

    /// <summary>The wait between two polls of a review with <see cref="PollingStrategy.Fixed"/>.</summary>
    public TimeSpan FixedInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The shortest wait between two polls of a review with <see cref="PollingStrategy.Adaptive"/>.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a claim on a row lasts. Must exceed one step's xcompute calls (two <c>XCompute:RequestTimeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many claims in a row may start work on a row and store nothing (the worker threw, or died) before the row is
    /// ended with <c>upstream_error</c>. Each lapsed claim counts once, so 5 is about five leases.
    /// </summary>
    [Range(1, 1000)]
    public int MaxUnfinishedAttempts { get; set; } = 5;

    /// <summary>
    /// How often each worker instance looks for due rows, besides the moments its own polls fall due
    /// (<see cref="DispatchWakeUps"/>): the most a poll waits past its time when the instance that scheduled it has gone.
    /// A look is one indexed statement per table.
    /// </summary>
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many rows of each table one instance claims per statement.</summary>
    [Range(1, 1000)]
    public int DispatchBatchSize { get; set; } = 50;
}

/// <summary>How the next poll of a review in progress is timed.</summary>
public enum PollingStrategy
{
    /// <summary>
    /// Where xcompute's signals say the end may fall, each weighed by its track record (<see cref="ReviewForecast"/>):
    /// at least <see cref="PollingOptions.MinDelay"/> apart, a cadence apart when the signals say nothing.
    /// </summary>
    Adaptive,

    /// <summary>Exponential backoff from <see cref="PollingOptions.InitialDelay"/> to <see cref="PollingOptions.MaxDelay"/>, whatever xcompute says.</summary>
    Backoff,

    /// <summary>Every <see cref="PollingOptions.FixedInterval"/>.</summary>
    Fixed,
}

/// <summary>How long finished rows are kept (section <c>Avatar:Retention</c>).</summary>
public sealed class RetentionOptions
{
    /// <summary>Finished sessions and submissions are deleted this long after their last change.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each instance looks for rows to delete.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows deleted per statement, so a sweep never holds many locks or a long transaction.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}
