namespace Avatar.Benchmarks;

public sealed record BenchmarkOptions(int Submissions, int Workers, TimeSpan ReviewDuration, int LatencyMs, int ConcurrentMessageLimit)
{
    /// <summary>More simulator settings (<c>--Simulator:Name=value</c>), after the review duration and latency.</summary>
    public IReadOnlyList<string> SimulatorArguments { get; init; } = [];

    /// <summary>More worker settings, over the production timings.</summary>
    public IReadOnlyDictionary<string, string> WorkerSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// When set, the run has a RabbitMQ virtual host of its own by this name, and its workers' logs are named after it,
    /// so that several runs go side by side on one broker without taking each other's messages.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>How far apart the submissions of a batch are published (zero: all at once).</summary>
    public TimeSpan PublishInterval { get; init; }
}
