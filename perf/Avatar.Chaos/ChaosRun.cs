using Stopwatch = System.Diagnostics.Stopwatch;
using System.Globalization;
using Avatar.Contracts;
using Avatar.Testing;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Avatar.Chaos;

/// <summary>
/// One chaos run: the simulator (with faults on task reads), worker processes, and a client bus that plays the services
/// around the worker, including the people on the H5 pages. While flows are under way it SIGKILLs workers (and restarts
/// them), stops PostgreSQL while commands keep arriving, and stops RabbitMQ; then it counts what every flow ended with.
/// </summary>
public sealed class ChaosRun : IAsyncDisposable
{
    private readonly ChaosOptions options;
    private readonly string database = $"avatar_chaos_{Guid.NewGuid():N}";
    private string connectionString = "";
    private readonly string apiKey = $"chaos-{Guid.NewGuid():N}";
    private readonly EventLog events = new();
    private readonly List<WorkerProcess> workers = [];
    private readonly List<WorkerProcess> replaced = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Dictionary<Guid, SessionPlan> sessions = [];
    private readonly List<Guid> submissions = [];
    private Dictionary<string, string> workerSettings = null!;
    private Services services = null!;
    private Services broker = null!;
    private Services databases = null!;
    private DatabasePair? pair;
    private BrokerCluster? cluster;
    private WebApplication simulatorApp = null!;
    private SimulatorClient simulator = null!;
    private IHost client = null!;
    private CarefulPublisher publisher = null!;
    private string groupId = null!;
    private int started;

    private ChaosRun(ChaosOptions options) => this.options = options;

    private enum SessionPlan
    {
        Passes,
        FailsTheH5Page,
        NeverFinishes,
    }

    public static async Task<ChaosRun> StartAsync(ChaosOptions options)
    {
        var run = new ChaosRun(options);
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
        Directory.CreateDirectory(options.LogDirectory);
        foreach (var old in Directory.GetFiles(options.LogDirectory, "worker-*.log"))
        {
            File.Delete(old);
        }

        services = await Services.StartAsync();
        broker = services;
        if (options.Cluster)
        {
            cluster = await BrokerCluster.UpAsync("avatar-chaos");
            broker = services.OnCluster(cluster);
        }

        databases = services;
        if (options.DbFailover)
        {
            pair = await DatabasePair.UpAsync();
            databases = services.OnDatabase(pair);
        }

        connectionString = await databases.CreateDatabaseAsync(database);
        (simulatorApp, simulator) = await Harness.StartSimulatorAsync(
            apiKey,
            $"--Simulator:ReviewDuration={options.ReviewDuration}",
            "--Simulator:TokenLifetime=00:01:30",
            "--Simulator:LatencyMs=20",
            "--Simulator:FaultPathPrefix=/v1/tasks",
            "--Simulator:ServerErrorRate=0.2",
            "--Simulator:RateLimitRate=0.05",
            "--Simulator:LatencySpikeRate=0.05",
            "--Simulator:LatencySpikeMs=3000");

        workerSettings = Harness.WorkerSettings(broker, connectionString, simulator.BaseAddress, apiKey);
        workerSettings["Logging:LogLevel:Default"] = "Information";
        workerSettings["Avatar:SessionLifetime"] = "00:01:30";
        workerSettings["Avatar:VerificationGrace"] = "00:00:10";
        for (var i = 0; i < options.Workers; i++)
        {
            workers.Add(StartWorker(i));
        }

        await Task.WhenAll(workers.Select(w => w.WaitUntilStartedAsync(TimeSpan.FromMinutes(2))));
        client = await Harness.StartOtherServicesAsync(broker, events);
        publisher = new CarefulPublisher(broker);
        groupId = await simulator.MintVerifiedGroupAsync(connectionString);
    }

    public async Task<ChaosResult> ExecuteAsync()
    {
        Console.WriteLine($"chaos: {options.Workers} worker processes, {options.Submissions} submissions, {options.Sessions} sessions, " +
            $"{options.ReviewDuration.TotalSeconds:0} s reviews; task reads answer 20% 5xx, 5% 429, 5% 3 s late" +
            (cluster is null ? "" : $"; RabbitMQ is a three-node cluster ({string.Join(", ", cluster.Nodes)})") +
            (pair is null ? "" : "; PostgreSQL is a primary and a synchronous standby (scripts/postgres-pair.sh)"));
        clock.Restart();
        using var stop = new CancellationTokenSource();
        var people = PlayThePeopleAsync(stop.Token);

        // Before anything fails: half the sessions, three tenths of the submissions, and a first kill.
        await PublishSessionsAsync(options.Sessions / 2);
        await PublishSubmissionsAsync(options.Submissions * 3 / 10);
        Say($"published {sessions.Count} sessions and {submissions.Count} submissions");
        await Task.Delay(TimeSpan.FromSeconds(8));
        await KillAsync(0);

        // PostgreSQL away while commands keep arriving: stopped for the outage, or its primary lost and the standby
        // promoted by the HA manager this run plays.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var outage = Stopwatch.StartNew();
        if (pair is null)
        {
            await services.StopDatabaseAsync();
            Say($"stopped PostgreSQL for {options.DatabaseOutage.TotalSeconds:0} s");
        }
        else
        {
            await pair.KillPrimaryAsync();
            Say($"SIGKILL the PostgreSQL primary; promoting the standby in {options.PromoteAfter.TotalSeconds:0} s");
        }

        var during = options.Submissions * 4 / 10;
        var promoted = false;
        for (var i = 0; i < 10; i++)
        {
            await PublishSubmissionsAsync(during / 10);
            await PublishSessionsAsync(i == 0 ? options.Sessions - sessions.Count : 0);
            await Task.Delay((pair is null ? options.DatabaseOutage : options.PromoteAfter * 2) / 20);
            if (pair is not null && !promoted && outage.Elapsed >= options.PromoteAfter)
            {
                await pair.PromoteStandbyAsync();
                promoted = true;
                Say("promoted the standby: it is the primary now");
            }
        }

        Say($"published {sessions.Count} sessions and {submissions.Count} submissions in all");
        if (pair is null)
        {
            await Task.Delay(Max(TimeSpan.Zero, options.DatabaseOutage - outage.Elapsed));
            await services.StartDatabaseAsync();
            Say("started PostgreSQL");
        }
        else if (!promoted)
        {
            await Task.Delay(Max(TimeSpan.Zero, options.PromoteAfter - outage.Elapsed));
            await pair.PromoteStandbyAsync();
            Say("promoted the standby: it is the primary now");
        }

        await Task.Delay(TimeSpan.FromSeconds(15));
        await KillAsync(1);

        await Task.Delay(TimeSpan.FromSeconds(5));
        if (cluster is null)
        {
            // RabbitMQ away: nothing is published meanwhile, as callers cannot reach it either.
            await services.StopBrokerAsync();
            Say($"stopped RabbitMQ for {options.BrokerOutage.TotalSeconds:0} s");
            await Task.Delay(options.BrokerOutage);
            await services.StartBrokerAsync();
            Say("started RabbitMQ");
            await PublishSubmissionsAsync(options.Submissions - submissions.Count);
            Say($"published the last submissions: {submissions.Count} in all");
        }
        else
        {
            // One node lost (the one leading the worker's queues, and so the one the workers are connected to) while
            // reviews are in flight; the callers keep publishing to the nodes that are left.
            var leader = await cluster.LeaderOfAsync("poll-submission");
            await cluster.StopNodeAsync(leader);
            Say($"stopped RabbitMQ node {leader} (avatar{leader}@localhost, leader of poll-submission) for {options.BrokerOutage.TotalSeconds:0} s");
            var lost = Stopwatch.StartNew();
            await PublishSubmissionsAsync(options.Submissions - submissions.Count);
            Say($"published the last submissions to the nodes left: {submissions.Count} in all");
            await Task.Delay(Max(TimeSpan.Zero, options.BrokerOutage - lost.Elapsed));
            await cluster.StartNodeAsync(leader);
            Say($"started RabbitMQ node {leader} again");
        }

        await Task.Delay(TimeSpan.FromSeconds(10));
        for (var kill = 2; kill < options.Kills; kill++)
        {
            await KillAsync(kill);
            await Task.Delay(TimeSpan.FromSeconds(10));
        }

        var faultsOver = clock.Elapsed;
        while (clock.Elapsed - faultsOver < options.Settle && Count().Terminal < sessions.Count + submissions.Count)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var open = sessions.Count + submissions.Count - Count().Terminal;
        Say(open == 0
            ? $"every flow has ended, {(clock.Elapsed - faultsOver).TotalSeconds:0} s after the last fault"
            : $"{open} flow(s) still open {options.Settle.TotalSeconds:0} s after the last fault");

        // A little longer, so that late duplicate copies are counted too.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await people;

        var counts = Count();
        var exits = workers.Concat(replaced).Where(w => w.ExitedByItself).ToList();
        foreach (var exit in exits)
        {
            Say($"a worker left by itself; its last lines:{Environment.NewLine}{exit.Output}");
        }

        return counts with
        {
            WorkerExits = exits.Count,
            Submissions = submissions.Count,
            InErrorQueues = await ErrorQueueDepthAsync(),
            SubmittedTwice = await SubmittedTwiceAsync(counts),
            SecretLines = await SecretLinesAsync(),
            LogLines = Directory.GetFiles(options.LogDirectory, "worker-*.log").Sum(f => File.ReadLines(f).LongCount()),
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>The people on the H5 pages, and the callers who report that they finished.</summary>
    private async Task PlayThePeopleAsync(CancellationToken cancellationToken)
    {
        var handled = new HashSet<Guid>();
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var created in events.All<AvatarSessionCreated>(e => !handled.Contains(e.SessionId) && sessions.ContainsKey(e.SessionId)))
            {
                handled.Add(created.SessionId);
                var plan = sessions[created.SessionId];
                if (plan == SessionPlan.NeverFinishes)
                {
                    continue;
                }

                try
                {
                    await simulator.CompleteH5Async(created.H5Link, pass: plan == SessionPlan.Passes);
                }
                catch (InvalidOperationException)
                {
                    // The link expired while the broker was away; the caller still reports, and learns token_expired.
                }

                await PublishAsync(new AvatarAuthCompleted(created.SessionId), cancellationToken);
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }

    private async Task PublishSessionsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            sessions[id] = (sessions.Count % 10) switch
            {
                8 => SessionPlan.FailsTheH5Page,
                9 => SessionPlan.NeverFinishes,
                _ => SessionPlan.Passes,
            };
            await PublishAsync(new CreateAvatarSession(id, $"https://caller.example/avatar/{id}", null), CancellationToken.None);
        }
    }

    private async Task PublishSubmissionsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var n = submissions.Count;
            var command = new SubmitAvatarAssets(
                Guid.NewGuid(),
                groupId,
                [
                    new AvatarAssetSource($"https://cdn.example/chaos/{n}/front.mp4", "front"),
                    new AvatarAssetSource($"https://cdn.example/chaos/{n}/side.mp4", n % 4 == 0 ? "side-reject" : "side"),
                ]);
            submissions.Add(command.SubmissionId);
            await PublishAsync(command, CancellationToken.None);
        }
    }

    /// <summary>Publishes as a careful caller does: again until the broker takes it (see <see cref="CarefulPublisher"/>).</summary>
    private Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class => publisher.PublishAsync(message, cancellationToken);

    private async Task KillAsync(int kill)
    {
        var index = kill % workers.Count;
        if (workers[index].ExitedByItself)
        {
            // Counted at the end; kept to be counted, not killed.
            replaced.Add(workers[index]);
        }
        else
        {
            workers[index].Kill();
            workers[index].Dispose();
        }

        Say($"SIGKILL worker {index + 1}; restarting it");
        workers[index] = StartWorker(index);
        await workers[index].WaitUntilStartedAsync(TimeSpan.FromMinutes(2));
    }

    private WorkerProcess StartWorker(int index) =>
        WorkerProcess.Start(workerSettings, Path.Combine(options.LogDirectory, $"worker-{index + 1}-{Interlocked.Increment(ref started)}.log"));

    private ChaosResult Count()
    {
        var outcomes = new Dictionary<Guid, List<string>>();
        foreach (var e in events.All<object>(_ => true))
        {
            (Guid Id, string Outcome)? terminal = e switch
            {
                AvatarAssetsApproved a => (a.SubmissionId, "approved"),
                AvatarAssetsRejected r => (r.SubmissionId, r.ErrorCode),
                AvatarAuthVerified v => (v.SessionId, "verified"),
                AvatarAuthFailed f => (f.SessionId, f.ErrorCode),
                AvatarSessionFailed f => (f.SessionId, $"session {f.ErrorCode}"),
                _ => null,
            };
            if (terminal is { } t && (sessions.ContainsKey(t.Id) || submissions.Contains(t.Id)))
            {
                (outcomes.TryGetValue(t.Id, out var list) ? list : outcomes[t.Id] = []).Add(t.Outcome);
            }
        }

        return new ChaosResult(
            Flows: sessions.Count + submissions.Count,
            Terminal: outcomes.Count,
            Duplicates: outcomes.Values.Sum(o => o.Count - 1),
            Conflicting: outcomes.Values.Count(o => o.Distinct().Count() > 1),
            SubmitOutcomeUnknown: submissions.Count(s => outcomes.TryGetValue(s, out var o) && o.Contains(AvatarErrorCodes.SubmitOutcomeUnknown)),
            UnknownIds: [.. submissions.Where(s => outcomes.TryGetValue(s, out var o) && o.Contains(AvatarErrorCodes.SubmitOutcomeUnknown))],
            Outcomes: outcomes.Values.Select(o => o[0]).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count()));
    }

    private async Task<long> ErrorQueueDepthAsync()
    {
        await using var connection = await broker.ConnectAsync();
        long total = 0;
        foreach (var queue in new[] { "create-avatar-session", "avatar-auth-completed", "submit-avatar-assets", "poll-session", "poll-submission" })
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                total += (await channel.QueueDeclarePassiveAsync($"{queue}_error")).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Never created: nothing ever faulted there.
            }
        }

        return total;
    }

    /// <summary>Submissions xcompute (the simulator) received more than once, leaving out those reported submit_outcome_unknown.</summary>
    private async Task<int> SubmittedTwiceAsync(ChaosResult counts)
    {
        var stats = await simulator.StatsAsync();
        return submissions
            .Select((id, n) => (id, Submits: stats.Count($"submit-asset:https://cdn.example/chaos/{n}/front.mp4")))
            .Count(s => s.Submits > 1 && !counts.UnknownIds.Contains(s.id));
    }

    private async Task<long> SecretLinesAsync()
    {
        var secrets = (await simulator.TokensAsync()).Append(apiKey).ToList();
        return Directory.GetFiles(options.LogDirectory, "worker-*.log")
            .SelectMany(File.ReadLines)
            .LongCount(line => secrets.Any(s => line.Contains(s, StringComparison.Ordinal)));
    }

    private void Say(string line) =>
        Console.WriteLine($"  t+{clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),6} s  {line}");

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers.Concat(replaced))
        {
            worker.Stop();
            worker.Dispose();
        }

        if (publisher is not null)
        {
            await publisher.DisposeAsync();
        }

        if (client is not null)
        {
            await client.StopAsync();
            client.Dispose();
        }

        if (simulatorApp is not null)
        {
            await simulatorApp.DisposeAsync();
        }

        if (services is not null)
        {
            await databases.DropDatabaseAsync(database);
            await services.DisposeAsync();
        }
    }
}
