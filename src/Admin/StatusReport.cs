using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Avatar.Admin;

/// <summary>What <c>status</c> prints: the schedule read from PostgreSQL, and the _error queues from RabbitMQ.</summary>
internal sealed class StatusReport(IConfiguration configuration)
{
    private static readonly TimeSpan Overdue = TimeSpan.FromMinutes(2);

    public async Task WriteAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(PersistenceServices.ConnectionStringName)
            ?? throw new InvalidOperationException("ConnectionStrings__Avatar is not set.");
        await using var db = AvatarDbContext.Open(connectionString);
        foreach (var table in new[] { db.TableName<AvatarSession>(), db.TableName<AvatarSubmission>() })
        {
            await WriteAsync(output, db, table, cancellationToken);
        }

        await using var broker = await Queues.ConnectAsync(configuration, cancellationToken);
        output.WriteLine("error queues");
        foreach (var queue in Queues.WorkerQueues)
        {
            output.WriteLine($"  {queue}_error".PadRight(36) + $"{await broker.ErrorDepthAsync(queue, cancellationToken)}");
        }
    }

    private static async Task WriteAsync(TextWriter output, AvatarDbContext db, string table, CancellationToken cancellationToken)
    {
        // Only the table name (from the model) is interpolated.
        var sql = $"""
            SELECT "State" AS "State", "NextPollAt" IS NOT NULL AS "Open", count(*)::int AS "Count",
                   (count(*) FILTER (WHERE "NextPollAt" <= now()))::int AS "Due",
                   (count(*) FILTER (WHERE "NextPollAt" <= now() - interval '2 minutes'))::int AS "Overdue",
                   min("CreatedAt") AS "Oldest"
            FROM {AvatarDbContext.Schema}.{table} GROUP BY 1, 2 ORDER BY 2 DESC, 1
            """;
        var byState = await db.Database.SqlQueryRaw<StateLine>(sql).ToListAsync(cancellationToken);

        output.WriteLine($"{table}: {byState.Where(s => s.Open).Sum(s => s.Count)} open, {byState.Sum(s => s.Due)} due now, {byState.Sum(s => s.Overdue)} overdue by more than {Overdue.TotalMinutes:0} min");
        foreach (var state in byState)
        {
            var oldest = state.Open ? $", oldest created {state.Oldest:O}" : "";
            output.WriteLine($"  {state.State,-22}{(state.Open ? "open" : "done"),-6}{state.Count,8}{oldest}");
        }
    }

    private sealed record StateLine(string State, bool Open, int Count, int Due, int Overdue, DateTimeOffset Oldest);
}
