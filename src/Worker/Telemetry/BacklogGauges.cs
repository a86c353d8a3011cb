using System.Diagnostics.Metrics;
using Avatar.Persistence;
using Avatar.Worker.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Telemetry;

/// <summary>
/// The backlog, read from the database every <see cref="Interval"/> and reported as observable gauges: open rows by
/// table and state, rows due now, and the age of the most overdue row (how far behind the schedule runs: the signal to
/// page on). Read in the background, not during a scrape, so a slow database never slows <c>/metrics</c>; every
/// series exists from start-up with zeros.
/// </summary>
internal sealed class BacklogGauges : WorkerLoop
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static readonly Dictionary<string, string[]> States = new()
    {
        ["sessions"] = [.. Enum.GetNames<SessionState>()],
        ["submissions"] = [.. Enum.GetNames<SubmissionState>()],
    };

    private readonly IServiceScopeFactory scopes;
    private volatile Snapshot current = Snapshot.Empty;

    public BacklogGauges(AvatarMetrics metrics, IServiceScopeFactory scopes, WorkerLoops loops, TimeProvider clock, ILogger<BacklogGauges> logger)
        : base(loops, clock, logger)
    {
        this.scopes = scopes;
        metrics.Meter.CreateObservableGauge("avatar.rows", () => current.Rows, "{row}", "Rows with work left, by table and state.");
        metrics.Meter.CreateObservableGauge("avatar.rows.due", () => current.Due, "{row}", "Rows due now and not claimed, by table.");
        metrics.Meter.CreateObservableGauge("avatar.backlog.age", () => current.Age, "s", "How long the most overdue row has been due, by table (0 when none is).");
    }

    protected override string Name => "backlog-gauges";

    protected override TimeSpan MaxQuiet => TimeSpan.FromMinutes(2);

    protected override TimeSpan RetryAfterFailure => Interval;

    /// <summary>Reads the backlog; while that fails the gauges keep their last values, and the readiness check reports the database itself.</summary>
    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        current = await ReadAsync(scope.ServiceProvider.GetRequiredService<AvatarDbContext>(), stoppingToken);
        return Interval;
    }

    private static async Task<Snapshot> ReadAsync(AvatarDbContext db, CancellationToken cancellationToken)
    {
        var rows = new List<Measurement<long>>();
        var due = new List<Measurement<long>>();
        var age = new List<Measurement<double>>();
        foreach (var table in States.Keys)
        {
            // Only the table name (a constant above) is interpolated.
            var sql = $"""
                SELECT "State" AS "State", count(*) AS "Count",
                       count(*) FILTER (WHERE "NextPollAt" <= now()) AS "Due",
                       coalesce(extract(epoch FROM now() - min("NextPollAt") FILTER (WHERE "NextPollAt" <= now())), 0) AS "Age"
                FROM {AvatarDbContext.Schema}.{table} WHERE "NextPollAt" IS NOT NULL GROUP BY "State"
                """;
            var counts = await db.Database.SqlQueryRaw<StateCount>(sql).ToListAsync(cancellationToken);
            foreach (var state in States[table])
            {
                rows.Add(new(counts.FirstOrDefault(c => c.State == state)?.Count ?? 0, Tag("table", table), Tag("state", state)));
            }

            due.Add(new(counts.Sum(c => c.Due), Tag("table", table)));
            age.Add(new(counts.Select(c => c.Age).DefaultIfEmpty(0).Max(), Tag("table", table)));
        }

        return new Snapshot(rows, due, age);
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    private sealed record StateCount(string State, long Count, long Due, double Age);

    private sealed record Snapshot(List<Measurement<long>> Rows, List<Measurement<long>> Due, List<Measurement<double>> Age)
    {
        public static readonly Snapshot Empty = new(
            [.. States.SelectMany(t => t.Value.Select(s => new Measurement<long>(0, Tag("table", t.Key), Tag("state", s))))],
            [.. States.Keys.Select(t => new Measurement<long>(0, Tag("table", t)))],
            [.. States.Keys.Select(t => new Measurement<double>(0, Tag("table", t)))]);
    }
}
