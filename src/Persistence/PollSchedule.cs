using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Avatar.Persistence;

/// <summary>A row claimed by a dispatcher: whoever presents <see cref="LeaseToken"/> may work on it.</summary>
public sealed class PollClaim
{
    public Guid Id { get; init; }

    public Guid LeaseToken { get; init; }
}

/// <summary>The durable polling schedule: claims taken by dispatchers and leases held by the poll consumers.</summary>
public static class PollSchedule
{
    /// <summary>
    /// Claims up to <paramref name="max"/> due rows of one table that nobody holds, in one statement.
    /// <c>FOR UPDATE SKIP LOCKED</c> lets every worker instance claim at once without waiting on each other;
    /// the lease lets the row be claimed again if its holder dies.
    /// </summary>
    public static Task<List<PollClaim>> ClaimDueAsync<T>(
        this AvatarDbContext db, DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken)
        where T : class, IPolled
    {
        var table = db.Model.FindEntityType(typeof(T))?.GetTableName()
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped to a table.");

        var sql = $"""
            UPDATE {AvatarDbContext.Schema}.{table} AS t
            SET "LeaseToken" = gen_random_uuid(), "LeaseExpiresAt" = @until
            WHERE t."Id" IN (
                SELECT "Id" FROM {AvatarDbContext.Schema}.{table}
                WHERE "NextPollAt" <= @now AND ("LeaseExpiresAt" IS NULL OR "LeaseExpiresAt" <= @now)
                ORDER BY "NextPollAt"
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            RETURNING t."Id" AS "Id", t."LeaseToken" AS "LeaseToken"
            """;

        return db.Database
            .SqlQueryRaw<PollClaim>(
                sql,
                new NpgsqlParameter("now", now),
                new NpgsqlParameter("until", now + lease),
                new NpgsqlParameter("max", max))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Starts work under a claim: succeeds only while the claim is still the row's and unexpired, and then
    /// extends it by <paramref name="lease"/> from now, which is longer than one xcompute call may take. Each start
    /// counts as unfinished until the step is stored.
    /// </summary>
    public static async Task<bool> TryHoldAsync<T>(
        this DbSet<T> rows, Guid id, Guid leaseToken, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken)
        where T : class, IPolled
    {
        var held = await rows
            .Where(x => x.Id == id && x.LeaseToken == leaseToken && x.LeaseExpiresAt > now)
            .ExecuteUpdateAsync(
                s => s.SetProperty(x => x.LeaseExpiresAt, now + lease).SetProperty(x => x.UnfinishedAttempts, x => x.UnfinishedAttempts + 1),
                cancellationToken);
        return held == 1;
    }

    /// <summary>Gives the claim back and schedules the next step; <paramref name="next"/> null means nothing is left to do.</summary>
    public static void ScheduleNext(this IPolled row, DateTimeOffset? next, DateTimeOffset now)
    {
        row.NextPollAt = next;
        row.LeaseExpiresAt = null;
        row.UnfinishedAttempts = 0;
        row.PollAttempts = next is null ? row.PollAttempts : row.PollAttempts + 1;
        row.UpdatedAt = now;
    }

    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
