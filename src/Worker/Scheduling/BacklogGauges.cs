using System.Diagnostics.Metrics;
using Avatar.Persistence;
using Avatar.Worker.Hosting;
using Avatar.Worker.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Scheduling;

/// <summary>
/// The backlog, read from the database every <see cref="Interval"/> and reported as observable gauges: open rows by
/// table and state, rows due now, and the age of the most overdue row (how far behind the schedule runs: the signal to
/// page on). Read in the background, not during a scrape, so a slow database never slows <c>/metrics</c>; every
/// series exists from start-up with zeros.
/// </summary>
internal sealed class BacklogGauges : WorkerLoop
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly IServiceScopeFactory scopes;

    /// <summary>Each table (its name from the EF Core model) and the states its rows can be in.</summary>
    private readonly Dictionary<string, string[]> states;
    private volatile Snapshot current;

    public BacklogGauges(AvatarMetrics metrics, IServiceScopeFactory scopes, WorkerLoops loops, TimeProvider clock, ILogger<BacklogGauges> logger)
        : base(loops, clock, logger)
    {
        this.scopes = scopes;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
            states = new()
            {
                [db.TableName<AvatarSession>()] = [.. Enum.GetNames<SessionState>()],
                [db.TableName<AvatarSubmission>()] = [.. Enum.GetNames<SubmissionState>()],
            };
        }

        current = Snapshot.Empty(states);
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

    private async Task<Snapshot> ReadAsync(AvatarDbContext db, CancellationToken cancellationToken)
    {
        var rows = new List<Measurement<long>>();
        var due = new List<Measurement<long>>();
        var age = new List<Measurement<double>>();
        foreach (var (table, tableStates) in states)
        {
            // Only the table name (from the model) is interpolated.
            var sql = $"""
                SELECT "State" AS "State", count(*) AS "Count",
                       count(*) FILTER (WHERE "NextPollAt" <= now()) AS "Due",
                       coalesce(extract(epoch FROM now() - min("NextPollAt") FILTER (WHERE "NextPollAt" <= now())), 0) AS "Age"
                FROM {AvatarDbContext.Schema}.{table} WHERE "NextPollAt" IS NOT NULL GROUP BY "State"
                """;
            var counts = await db.Database.SqlQueryRaw<StateCount>(sql).ToListAsync(cancellationToken);
            foreach (var state in tableStates)
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
        public static Snapshot Empty(Dictionary<string, string[]> states) => new(
            [.. states.SelectMany(t => t.Value.Select(s => new Measurement<long>(0, Tag("table", t.Key), Tag("state", s))))],
            [.. states.Keys.Select(t => new Measurement<long>(0, Tag("table", t)))],
            [.. states.Keys.Select(t => new Measurement<double>(0, Tag("table", t)))]);
    }
}
