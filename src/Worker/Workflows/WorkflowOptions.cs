using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.Workflows;

/// <summary>Timings of the avatar workflows (section <c>Avatar</c>).</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Avatar";

    /// <summary>How long the H5 link and byted token stay valid upstream.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Extra time after expiry for a verification the person finished just in time.</summary>
    public TimeSpan VerificationGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long session creation keeps retrying transient xcompute failures.</summary>
    public TimeSpan CreateTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a submission may take, from the command to the end of its review.</summary>
    public TimeSpan ReviewTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The default xcompute project.</summary>
    [Required]
    public string DefaultProjectName { get; set; } = "default";

    public PollingOptions Polling { get; set; } = new();
}

public sealed class PollingOptions
{
    /// <summary>The first wait between two polls.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Each wait is this much longer than the one before.</summary>
    [Range(1.0, 10.0)]
    public double Multiplier { get; set; } = 1.5;

    /// <summary>The longest wait between two polls.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a claim on a row lasts. Must exceed one xcompute call (XCompute:RequestTimeout) by a margin.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many attempts in a row may start work on a row and store nothing (the worker threw or died) before the row
    /// is ended with <c>upstream_error</c>. Each message retry counts, so 20 is about five messages.
    /// </summary>
    [Range(1, 1000)]
    public int MaxUnfinishedAttempts { get; set; } = 20;

    /// <summary>How often each worker instance looks for due rows.</summary>
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many rows of each table one instance claims per look.</summary>
    [Range(1, 1000)]
    public int DispatchBatchSize { get; set; } = 50;
}
