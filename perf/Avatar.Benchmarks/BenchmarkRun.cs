using Stopwatch = System.Diagnostics.Stopwatch;
using Avatar.Contracts;
using Avatar.Testing;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Avatar.Benchmarks;

/// <summary>
/// One benchmark: the simulator in this process, <see cref="BenchmarkOptions.Workers"/> worker processes with their
/// production timings (2 s first wait, ×1.5, 30 s cap), and a client bus that publishes the submissions.
/// </summary>
public sealed class BenchmarkRun : IAsyncDisposable
{
    private readonly BenchmarkOptions options;
    private readonly string database = $"avatar_bench_{Guid.NewGuid():N}";
    private string? connectionString;
    private readonly string apiKey = $"bench-{Guid.NewGuid():N}";
    private readonly EventLog events = new();
    private readonly List<WorkerProcess> workers = [];
    private Services services = null!;
    private Services? broker; // the services on the run's own virtual host, when it has one
    private WebApplication simulator = null!;
    private IHost client = null!;

    private BenchmarkRun(BenchmarkOptions options) => this.options = options;

    public SimulatorClient Simulator { get; private set; } = null!;

    public static async Task<BenchmarkRun> StartAsync(BenchmarkOptions options)
    {
        var run = new BenchmarkRun(options);
        try
        {
            await run.StartAsync();
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        return run;
    }

    private async Task StartAsync()
    {
        Directory.CreateDirectory(".run");
        var logs = options.Name is { } name ? $"bench-{name}-worker" : "bench-worker";
        foreach (var old in Directory.GetFiles(".run", $"{logs}-*.log"))
        {
            File.Delete(old);
        }

        services = await Services.StartAsync();
        if (options.Name is { } virtualHost)
        {
            try
            {
                await services.DeleteVirtualHostAsync(virtualHost); // left by a run that did not end
            }
            catch (InvalidOperationException)
            {
            }

            await services.CreateVirtualHostAsync(virtualHost);
            broker = services.As(virtualHost, services.AmqpUser, services.AmqpPassword);
        }

        connectionString = await services.CreateDatabaseAsync(database);

        (simulator, Simulator) = await Harness.StartSimulatorAsync(
            apiKey, [$"--Simulator:ReviewDuration={options.ReviewDuration}", $"--Simulator:LatencyMs={options.LatencyMs}", .. options.SimulatorArguments]);

        // Production timings: only the connections differ.
        var workerSettings = Harness.WorkerSettings(broker ?? services, connectionString, Simulator.BaseAddress, apiKey);
        workerSettings["Logging:LogLevel:Default"] = "Information";
        workerSettings["Messaging:ConcurrentMessageLimit"] = options.ConcurrentMessageLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in options.WorkerSettings)
        {
            workerSettings[key] = value;
        }
        for (var i = 0; i < options.Workers; i++)
        {
            workers.Add(WorkerProcess.Start(workerSettings, Path.Combine(".run", $"{logs}-{i + 1}.log")));
        }

        await Task.WhenAll(workers.Select(w => w.WaitUntilStartedAsync(TimeSpan.FromMinutes(2))));

        client = await Harness.StartOtherServicesAsync(broker ?? services, events);
    }

    /// <summary>
    /// Publishes <paramref name="count"/> submissions of a group of their own, not measured, and waits
    /// <paramref name="settle"/>: a worker process just started compiles its code on its first messages, and the first
    /// measured reviews would otherwise wait seconds for their first polls. They may still be under way when the measured
    /// batch starts; its figures count its own group only.
    /// </summary>
    public async Task WarmUpAsync(int count, TimeSpan settle)
    {
        var groupId = await Simulator.MintVerifiedGroupAsync(connectionString!);
        var bus = client.Services.GetRequiredService<IBus>();
        for (var i = 0; i < count; i++)
        {
            await bus.Publish(new SubmitAvatarAssets(
                Guid.NewGuid(), groupId, [new AvatarAssetSource($"https://cdn.example/warm-up/{i}/front.mp4", "front")]));
        }

        await Task.Delay(settle);
    }

    /// <summary>Publishes a measured batch of <see cref="BenchmarkOptions.Submissions"/> and waits for its outcomes; may be called again for another batch.</summary>
    public async Task<BenchmarkResult> ExecuteAsync()
    {
        var before = await MetricsScrape.SumAsync(workers.Select(w => w.BaseAddress!));
        var requestsBefore = (await Simulator.StatsAsync()).Count("requests");
        var processorAtStart = ProcessorTime();
        var databaseAtStart = DatabaseProcesses.ProcessorTime();
        var groupId = await Simulator.MintVerifiedGroupAsync(connectionString!);
        var (published, finished, wall) = await PublishAndWaitAsync(groupId, options.Submissions);
        var processor = ProcessorTime() - processorAtStart;
        var database = DatabaseProcesses.ProcessorTime() - databaseAtStart;
        var stats = await Simulator.StatsAsync();
        var metrics = await MetricsScrape.SumAsync(workers.Select(w => w.BaseAddress!));
        double Measured(string name) => metrics.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        var reviews = await Simulator.ReviewsAsync();
        var reviewPolls = stats.Polls.Where(p => stats.Counts.ContainsKey($"review:{groupId}:{p.Key}")).Select(p => p.Value).ToList();
        if (Environment.GetEnvironmentVariable("AVATAR_BENCH_DUMP") is { Length: > 0 } dump)
        {
            // A debugging aid: each review's duration and its polls, seconds from its creation.
            await File.AppendAllLinesAsync($"{dump}-{options.Name ?? "run"}.txt", reviews
                .Where(r => stats.Polls.ContainsKey(r.Id))
                .Select(r => string.Join(' ', [(r.FinishesAt - r.Created).TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                    .. stats.Polls[r.Id].StartedAt.Select(t => (t - r.Created).TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))])));
        }

        return new BenchmarkResult(
            Submitted: published.Count,
            Finished: finished.Count,
            Approved: events.All<AvatarAssetsApproved>(e => published.ContainsKey(e.SubmissionId)).Select(e => e.SubmissionId).Distinct().Count(),
            PartlyRejected: events.All<AvatarAssetsRejected>(e => published.ContainsKey(e.SubmissionId) && e.UsableAssets.Count > 0).Select(e => e.SubmissionId).Distinct().Count(),
            Wall: wall,
            TimesToOutcome: finished.Select(f => TimeSpan.FromSeconds((f.Value - published[f.Key]) / (double)Stopwatch.Frequency)).Order().ToList(),
            PollsPerReview: reviewPolls.Select(p => p.Count).ToList(),
            MaxConcurrentPolls: reviewPolls.Count == 0 ? 0 : reviewPolls.Max(p => p.MaxConcurrent),
            XComputeRequests: stats.Count("requests") - requestsBefore,
            WorkerPeakResidentBytes: WorkerPeakResidentBytes())
        {
            Lateness = Lateness(reviews, published.Keys.ToHashSet()),
            WorkerProcessorTime = processor,
            DatabaseProcessorTime = database,
            // The workers' own meters: Npgsql's commands, MassTransit's messages sent or published, and received.
            DatabaseCommands = Measured("db_client_operation_duration_seconds_count"),
            // The runtime's meter: time its JIT compiler spent compiling methods (a worker still tiering up its code).
            CompilingTime = TimeSpan.FromSeconds(Measured("dotnet_jit_compilation_time_seconds_total")),
            BrokerMessagesSent = Measured("messaging_masstransit_send_ea_total"),
            BrokerMessagesReceived = Measured("messaging_masstransit_receive_ea_total"),
        };
    }

    /// <summary>
    /// Status requests (<see cref="GetAvatarStatus"/>, RabbitMQ's direct reply-to) from <paramref name="askers"/> callers
    /// at once, each asking again as soon as it is answered, about the submissions of a second batch of
    /// <see cref="BenchmarkOptions.Submissions"/> while those reviews run: every answer's round trip, in order, and how
    /// long the asking went on.
    /// </summary>
    public async Task<(IReadOnlyList<TimeSpan> RoundTrips, TimeSpan Wall)> MeasureStatusAsync(int askers)
    {
        var status = client.Services.GetRequiredService<IClientFactory>().CreateRequestClient<GetAvatarStatus>();
        var groupId = await Simulator.MintVerifiedGroupAsync(connectionString!);
        var asked = new System.Collections.Concurrent.ConcurrentQueue<Guid>();
        using var stop = new CancellationTokenSource();
        var roundTrips = new System.Collections.Concurrent.ConcurrentBag<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var asking = Enumerable.Range(0, askers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var ids = asked.ToArray();
                if (ids.Length == 0)
                {
                    await Task.Delay(10);
                    continue;
                }

                var started = clock.Elapsed;
                await status.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(ids[Random.Shared.Next(ids.Length)]));
                roundTrips.Add(clock.Elapsed - started);
            }
        })).ToList();

        await PublishAndWaitAsync(groupId, options.Submissions, asked);
        var wall = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(asking);
        return ([.. roundTrips.Order()], wall);
    }

    /// <summary>
    /// Publishes <paramref name="count"/> submissions for <paramref name="groupId"/> and waits for their outcomes: when
    /// each was published and each finished (stopwatch ticks), and the wall time from the first publish to the last
    /// outcome. Each id goes to <paramref name="publishedIds"/> once published.
    /// </summary>
    private async Task<(Dictionary<Guid, long> Published, Dictionary<Guid, long> Finished, TimeSpan Wall)> PublishAndWaitAsync(
        string groupId, int count, System.Collections.Concurrent.ConcurrentQueue<Guid>? publishedIds = null)
    {
        var bus = client.Services.GetRequiredService<IBus>();
        var commands = Enumerable.Range(0, count)
            .Select(i => new SubmitAvatarAssets(
                Guid.NewGuid(),
                groupId,
                [
                    new AvatarAssetSource($"https://cdn.example/bench/{i}/front.mp4", "front"),
                    new AvatarAssetSource($"https://cdn.example/bench/{i}/side.mp4", i % 4 == 0 ? "side-reject" : "side"),
                ]))
            .ToList();

        var published = new Dictionary<Guid, long>();
        var clock = Stopwatch.StartNew();
        foreach (var (command, i) in commands.Select((c, i) => (c, i)))
        {
            if (options.PublishInterval * i - clock.Elapsed is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait);
            }

            published[command.SubmissionId] = clock.ElapsedTicks;
            await bus.Publish(command);
            publishedIds?.Enqueue(command.SubmissionId);
        }

        var finished = new Dictionary<Guid, long>();
        var deadline = options.ReviewDuration + TimeSpan.FromMinutes(5);
        while (finished.Count < commands.Count && clock.Elapsed < deadline)
        {
            foreach (var outcome in events.All<object>(_ => true))
            {
                var id = outcome switch
                {
                    AvatarAssetsApproved a => a.SubmissionId,
                    AvatarAssetsRejected r => r.SubmissionId,
                    _ => Guid.Empty,
                };
                if (published.ContainsKey(id))
                {
                    finished.TryAdd(id, clock.ElapsedTicks);
                }
            }

            await Task.Delay(100);
        }

        return (published, finished, clock.Elapsed);
    }

    /// <summary>Each worker's peak resident memory so far.</summary>
    public IReadOnlyList<long> WorkerPeakResidentBytes() => workers.Select(w => w.PeakResidentBytes()).ToList();

    /// <summary>The workers' processor time together, user and system.</summary>
    private TimeSpan ProcessorTime() => workers.Aggregate(TimeSpan.Zero, (sum, w) => sum + w.ProcessorTime());

    /// <summary>For each review, from when the simulator really finished it to when its outcome event reached the subscriber.</summary>
    private List<TimeSpan> Lateness(IReadOnlyList<SimulatorReview> reviews, HashSet<Guid> submissions)
    {
        var finishes = reviews.SelectMany(r => r.AssetIds.Select(a => (a, r.FinishesAt))).ToDictionary(x => x.a, x => x.FinishesAt);
        var outcomes = events.All<object>(_ => true)
            .Select(e => e switch
            {
                AvatarAssetsApproved a when submissions.Contains(a.SubmissionId) => (Event: e, Id: a.SubmissionId, Assets: a.Assets),
                AvatarAssetsRejected r when submissions.Contains(r.SubmissionId) => (Event: e, Id: r.SubmissionId, Assets: [.. r.UsableAssets, .. r.FailedAssets]),
                _ => default,
            })
            .Where(o => o.Event is not null)
            .DistinctBy(o => o.Id);
        return [.. outcomes
            .Select(o => (o.Event, Finished: o.Assets.Select(a => finishes.GetValueOrDefault(a.AssetId)).FirstOrDefault(f => f != default)))
            .Where(o => o.Finished != default)
            .Select(o => events.ArrivedAt(o.Event) - o.Finished)
            .Order()];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers)
        {
            worker.Stop();
            worker.Dispose();
        }

        // Any of these may be missing when starting failed half-way.
        if (client is not null)
        {
            await client.StopAsync();
            client.Dispose();
        }

        if (simulator is not null)
        {
            await simulator.DisposeAsync();
        }

        if (services is not null)
        {
            await services.DropDatabaseAsync(database);
            if (broker is not null)
            {
                await services.DeleteVirtualHostAsync(broker.AmqpVirtualHost);
            }

            await services.DisposeAsync();
        }
    }
}
