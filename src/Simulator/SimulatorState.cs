using System.Collections.Concurrent;

namespace Avatar.Simulator;

/// <summary>Everything xcompute would remember, plus the live settings. In memory: the simulator plays one process of xcompute.</summary>
public sealed class SimulatorState(SimulatorSettings initial)
{
    private readonly ConcurrentDictionary<string, SimTask> tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SimSession> sessionsByToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SimSession> sessionsByH5Key = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> groups = new(StringComparer.Ordinal);

    public SimulatorSettings Settings { get; set; } = initial;

    public SimulatorSettings Initial { get; } = initial;

    public RequestStats Stats { get; } = new();

    public void Add(SimTask task) => tasks[task.Id] = task;

    public SimTask? FindTask(string id) => tasks.GetValueOrDefault(id);

    public IEnumerable<ReviewTask> Reviews => tasks.Values.OfType<ReviewTask>();

    public void Add(SimSession session)
    {
        sessionsByToken[session.BytedToken] = session;
        sessionsByH5Key[session.H5Key] = session;
    }

    public SimSession? FindByToken(string token) => sessionsByToken.GetValueOrDefault(token);

    /// <summary>Every byted token handed out, so a test can look for them where they must never appear (logs, events).</summary>
    public IReadOnlyCollection<string> Tokens => [.. sessionsByToken.Keys];

    public SimSession? FindByH5Key(string key) => sessionsByH5Key.GetValueOrDefault(key);

    public void AddGroup(string groupId) => groups[groupId] = 0;

    public bool IsGroup(string groupId) => groups.ContainsKey(groupId);
}

/// <summary>Request counts, so tests and benchmarks can see what a flow cost and whether polls ever overlapped.</summary>
public sealed class RequestStats
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PollCounter> polls = new(StringComparer.Ordinal);

    /// <summary>Counts one request under <paramref name="key"/>, for example <c>create:{callback_url}</c> or <c>submit:{group_id}</c>.</summary>
    public void Count(string key) => counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    public IDisposable BeginPoll(string taskId) => polls.GetOrAdd(taskId, _ => new PollCounter()).Enter();

    public object Snapshot() => new
    {
        counts = counts.ToDictionary(),
        polls = polls.ToDictionary(p => p.Key, p => new { count = p.Value.Count, maxConcurrent = p.Value.MaxConcurrent, startedAt = p.Value.StartedAt }),
    };

    private sealed class PollCounter
    {
        private const int KeptStarts = 100;
        private readonly ConcurrentQueue<DateTimeOffset> starts = new();
        private int inFlight;
        private int count;
        private int maxConcurrent;

        public int Count => Volatile.Read(ref count);

        public int MaxConcurrent => Volatile.Read(ref maxConcurrent);

        /// <summary>When the first polls of this task arrived, so a test can measure the waits between them.</summary>
        public DateTimeOffset[] StartedAt => [.. starts];

        public IDisposable Enter()
        {
            if (Interlocked.Increment(ref count) <= KeptStarts)
            {
                starts.Enqueue(DateTimeOffset.UtcNow);
            }

            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref maxConcurrent)) && Interlocked.CompareExchange(ref maxConcurrent, now, seen) != seen)
            {
            }

            return new Exit(this);
        }

        private sealed class Exit(PollCounter counter) : IDisposable
        {
            public void Dispose() => Interlocked.Decrement(ref counter.inFlight);
        }
    }
}
