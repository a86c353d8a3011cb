namespace Avatar.Simulator;

/// <summary>How step 2 (the verification query) answers once the person is verified.</summary>
public enum Step2Shape
{
    /// <summary><c>data.group_id</c>.</summary>
    Inline,

    /// <summary><c>data.result.group_id</c> on a completed task object.</summary>
    Result,

    /// <summary>Only the upstream <c>data.result.raw_response.Result.GroupId</c>.</summary>
    RawResponse,

    /// <summary>A task id; <c>GET /v1/tasks/{id}</c> carries the group once the task completes.</summary>
    Task,
}

/// <summary>How an inline step 2 answers before the person has finished the H5 page.</summary>
public enum PendingReply
{
    /// <summary>HTTP 400 with <c>{"error":{"code":"ValidatePending"}}</c>.</summary>
    Error,

    /// <summary>HTTP 200 whose body says <c>{"code":400,"msg":"ValidatePending"}</c>.</summary>
    Body,
}

/// <summary>The simulator's switches. Read at start from section <c>Simulator</c>; changed at run time through <c>PUT /_sim/settings</c>.</summary>
public sealed record SimulatorSettings
{
    /// <summary>How long a byted token (and its H5 link) stays valid while the person has not finished.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a review task stays <c>processing</c> (unless <see cref="ReviewDurationMedian"/> is set).</summary>
    public TimeSpan ReviewDuration { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Set: each review's duration is drawn from a log-normal distribution with this median and
    /// <see cref="ReviewDurationSigma"/>, clipped to <see cref="ReviewDurationMin"/>..<see cref="ReviewDurationMax"/>.
    /// </summary>
    public TimeSpan? ReviewDurationMedian { get; init; }

    /// <summary>The spread of the log-normal review durations (the standard deviation of their logarithm).</summary>
    public double ReviewDurationSigma { get; init; } = 0.6;

    public TimeSpan ReviewDurationMin { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReviewDurationMax { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A review's progress advances unevenly, with plateaus, rather than in proportion to the time spent.</summary>
    public bool NoisyProgress { get; init; }

    /// <summary>A review in progress shows <c>estimated_time</c> (seconds, for the whole review).</summary>
    public bool EstimatedTime { get; init; } = true;

    /// <summary>How far <c>estimated_time</c> is off: the real duration times e^N(0, this). 0: exact.</summary>
    public double EstimatedTimeError { get; init; }

    /// <summary>
    /// When set, every review shows this <c>estimated_time</c> whatever it really takes (a gateway that answers one
    /// number for every task); <see cref="EstimatedTimeError"/> is then ignored.
    /// </summary>
    public TimeSpan? EstimatedTimeConstant { get; init; }

    public Step2Shape Step2Shape { get; init; } = Step2Shape.Result;

    /// <summary>How long a task-shaped verification stays <c>processing</c> after the person passed.</summary>
    public TimeSpan Step2TaskDuration { get; init; } = TimeSpan.FromSeconds(1);

    public PendingReply PendingReply { get; init; } = PendingReply.Error;

    /// <summary>
    /// A task-shaped verification whose person has not finished ends <c>failed</c> with <c>ValidatePending</c> after
    /// <see cref="Step2TaskDuration"/>, instead of staying <c>processing</c>.
    /// </summary>
    public bool Step2TaskEndsPending { get; init; }

    /// <summary>A byted token answers one successful verification query only (as one reseller documents).</summary>
    public bool SingleUseTokens { get; init; } = true;

    /// <summary>Added to every xcompute request.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of requests delayed by <see cref="LatencySpikeMs"/> on top of <see cref="LatencyMs"/>.</summary>
    public double LatencySpikeRate { get; init; }

    public int LatencySpikeMs { get; init; } = 2000;

    /// <summary>The background faults below (and latency spikes) hit only requests under this path, for example <c>/v1/tasks</c>; all when null.</summary>
    public string? FaultPathPrefix { get; init; }

    /// <summary>Share of xcompute requests answered 500 before any processing.</summary>
    public double ServerErrorRate { get; init; }

    /// <summary>Share of xcompute requests answered 429 with <see cref="RetryAfterSeconds"/>.</summary>
    public double RateLimitRate { get; init; }

    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>
    /// How long a new task stays invisible to <c>GET /v1/tasks/{id}</c> (answered 404 <c>task_not_found</c>), as on a
    /// gateway whose read replicas lag behind its writes. Zero: a task is readable as soon as its POST is answered.
    /// </summary>
    public TimeSpan ReadLag { get; init; }

    /// <summary>The status a review task shows while it runs; set it to something undocumented to test the client.</summary>
    public string InProgressStatus { get; init; } = "processing";

    /// <summary>The error message of a review that rejects assets; by default xcompute's own (Chinese) wording.</summary>
    public string? ReviewFailureMessage { get; init; }

    /// <summary>The address H5 links point at; by default the one the request came in on.</summary>
    public string? PublicBaseUrl { get; init; }
}
