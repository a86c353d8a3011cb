using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace Avatar.Persistence;

/// <summary>
/// When a row is worked on next, and who may work on it now: the durable polling schedule shared by every worker
/// instance. One type, mapped once (an EF complex type, its columns on the row's own table), with the SQL that claims,
/// holds and releases it. The worker's side of the mechanism (timing, dispatch, holding) is in <c>src/Worker/Scheduling</c>.
/// </summary>
/// <remarks>
/// A row is <b>due</b> when <see cref="NextPollAt"/> has passed. Claiming a due row writes a fresh
/// <see cref="LeaseToken"/> and moves <see cref="NextPollAt"/> to the end of the lease, so a claimed row is simply not due
/// until its claim lapses: the claim query never wades through claimed rows, and a claim whose holder died needs no
/// clean-up. Every time is the database's clock (<c>now()</c>), never an instance's.
/// </remarks>
public sealed class PollSchedule
{
    /// <summary>When the row is due; while claimed, when the claim lapses; null once nothing is left to do.</summary>
    public DateTimeOffset? NextPollAt { get; set; }

    /// <summary>
    /// The last claim or hold. A concurrency token: a save under a claim that was lost fails. Releasing keeps it, so a
    /// save that is retried after its commit was not acknowledged still matches; only claiming replaces it.
    /// </summary>
    public Guid? LeaseToken { get; set; }

    /// <summary>Attempts of the current step so far (the backoff exponent).</summary>
    public int PollAttempts { get; set; }

    /// <summary>Attempts in a row that began work under a claim but stored nothing (the worker threw or died).</summary>
    public int UnfinishedAttempts { get; set; }

    /// <summary>When the current step gives up.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>The W3C trace context of the command that started the current step; the polls continue its trace.</summary>
    public string? TraceParent { get; set; }

    public bool IsFinished => NextPollAt is null;

    /// <summary>Takes the row under a new claim (a command consumer working on a row it just stored or restarted).</summary>
    public void Claim(DateTimeOffset now, TimeSpan lease)
    {
        LeaseToken = Guid.NewGuid();
        NextPollAt = now + lease;
        PollAttempts = 0;
    }

    /// <summary>Gives the claim back, due again at <paramref name="next"/> (null: nothing is left to do).</summary>
    public void Release(DateTimeOffset? next)
    {
        PollAttempts = next is null ? PollAttempts : PollAttempts + 1;
        NextPollAt = next;
        UnfinishedAttempts = 0;
    }

    /// <summary>Due again at <paramref name="next"/> without counting an attempt (the work was put off, not tried).</summary>
    public void Postpone(DateTimeOffset next)
    {
        NextPollAt = next;
        UnfinishedAttempts = 0;
    }

    /// <summary>
    /// Ends the schedule from outside the worker (an operator abandoning the row): a new token, so a worker that holds
    /// the row now cannot save its step over the ending.
    /// </summary>
    public void Revoke()
    {
        LeaseToken = Guid.NewGuid();
        Release(null);
    }

    internal static void Map<T>(EntityTypeBuilder<T> builder)
        where T : class, IScheduled
    {
        builder.ComplexProperty(x => x.Schedule, s =>
        {
            s.Property(p => p.NextPollAt).HasColumnName(nameof(NextPollAt));
            s.Property(p => p.LeaseToken).HasColumnName(nameof(LeaseToken)).IsConcurrencyToken();
            s.Property(p => p.PollAttempts).HasColumnName(nameof(PollAttempts));
            s.Property(p => p.UnfinishedAttempts).HasColumnName(nameof(UnfinishedAttempts));
            s.Property(p => p.Deadline).HasColumnName(nameof(Deadline));
            s.Property(p => p.TraceParent).HasColumnName(nameof(TraceParent)).HasMaxLength(64);
        });

        builder.Property(x => x.Version).IsConcurrencyToken();

        // Finished rows by age: what retention reads. The claim reads rows with work left in due order, through the
        // partial index IX_<table>_NextPollAt ("NextPollAt" IS NOT NULL), which the migrations create and keep: EF Core
        // cannot declare an index on a complex type's column.
        builder.HasIndex(x => x.UpdatedAt).HasFilter("\"NextPollAt\" IS NULL");
    }
}

/// <summary>A flow's row on the polling schedule.</summary>
public interface IScheduled
{
    Guid Id { get; }

    /// <summary>The outcome the stored state justifies (null while the flow is under way), to publish again.</summary>
    object? Outcome { get; }

    PollSchedule Schedule { get; }

    /// <summary>
    /// The caller whose command opened the flow: the RabbitMQ user that published it (AMQP <c>user-id</c>, which the
    /// broker checks). Only the owner acts on the flow. Null for rows stored before owners were kept, and when the
    /// worker accepts commands without a <c>user-id</c>: any caller may act on those.
    /// </summary>
    string? Owner { get; }

    DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// Counts the row's saves through EF Core; a concurrency token, so every save is a compare-and-set on what its
    /// writer read: a writer that read the row before another saved it fails (<see cref="DbUpdateConcurrencyException"/>)
    /// and reads again (<see cref="AvatarDbContext"/> increments it). The schedule's own statements (claim, hold, release)
    /// leave it alone; the lease token guards those.
    /// </summary>
    int Version { get; }
}

public static class Owners
{
    /// <summary>The longest owner a row stores: an AMQP <c>user-id</c> is a short string, at most 255 bytes.</summary>
    public const int MaxLength = 255;

    /// <summary>Whether <paramref name="caller"/> may act on a flow or group of <paramref name="owner"/>.</summary>
    public static bool Permits(string? owner, string? caller) => owner is null || owner == caller;
}

/// <summary>A row claimed by a dispatcher: whoever presents <see cref="LeaseToken"/> may work on it.</summary>
public sealed record PollClaim(Guid Id, Guid LeaseToken, string? TraceParent);

/// <summary>The statements that move claims: each one a single round trip, timed by the database's clock.</summary>
/// <remarks>Only table names from the EF model are interpolated into the SQL; every value is a parameter.</remarks>
public static class PollScheduleStatements
{
    /// <summary>
    /// Claims up to <paramref name="max"/> due rows of one table. <c>FOR UPDATE SKIP LOCKED</c> lets every instance claim
    /// at once without waiting on each other; the partial index on <c>NextPollAt</c> holds only rows with work left, and
    /// claimed rows are not due, so the scan reads just the rows it returns.
    /// </summary>
    public static Task<List<PollClaim>> ClaimDueAsync<T>(this AvatarDbContext db, TimeSpan lease, int max, CancellationToken cancellationToken)
        where T : class, IScheduled
    {
        var table = TableOf<T>(db);
        var sql = $"""
            UPDATE {table} AS t
            SET "LeaseToken" = gen_random_uuid(), "NextPollAt" = now() + @lease
            WHERE t."Id" IN (
                SELECT "Id" FROM {table}
                WHERE "NextPollAt" <= now()
                ORDER BY "NextPollAt"
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            RETURNING t."Id" AS "Id", t."LeaseToken" AS "LeaseToken", t."TraceParent" AS "TraceParent"
            """;
        return db.Database
            .SqlQueryRaw<PollClaim>(sql, new NpgsqlParameter("lease", lease), new NpgsqlParameter("max", max))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Starts work under a claim and reads the row, in one statement: succeeds only while <paramref name="claim"/> is the
    /// row's and has not lapsed, and then replaces it with <paramref name="hold"/> for another <paramref name="lease"/>, so
    /// of two deliveries of one claim only the first gets the row. Counts the attempt as unfinished until the step is
    /// stored. Returns the row, tracked, with <see cref="PollSchedule.NextPollAt"/> at the database's <c>now()</c> plus
    /// <paramref name="lease"/>; or null when the claim is stale.
    /// </summary>
    /// <remarks>
    /// The hold is the function <c>avatar.hold_&lt;table&gt;</c> (migration <c>HoldReturnsTheRow</c>): PostgreSQL takes no
    /// <c>UPDATE</c> in the subquery EF Core composes around SQL, but it takes a function that runs one. EF Core reads a
    /// complex type's columns from such SQL by their default names (<c>Schedule_Deadline</c>), not the names mapped
    /// (dotnet/efcore#38303), so the schedule's columns are returned under those names too.
    /// </remarks>
    public static Task<T?> HoldAsync<T>(
        this AvatarDbContext db, Guid id, Guid claim, Guid hold, TimeSpan lease, CancellationToken cancellationToken)
        where T : class, IScheduled
    {
        var sql = HoldQueries.GetOrAdd(typeof(T), _ => HoldQuery<T>(db));
        return db.Set<T>()
            .FromSqlRaw(
                sql,
                new NpgsqlParameter("id", id),
                new NpgsqlParameter("claim", claim),
                new NpgsqlParameter("hold", hold),
                new NpgsqlParameter("lease", lease))
            .SingleOrDefaultAsync(cancellationToken);
    }

    private static readonly ConcurrentDictionary<Type, string> HoldQueries = new();

    /// <summary>The hold's query for <typeparamref name="T"/>, its schedule columns also under EF's default names, all read from the model.</summary>
    private static string HoldQuery<T>(AvatarDbContext db)
        where T : class, IScheduled
    {
        var schedule = db.Model.FindEntityType(typeof(T))!.FindComplexProperty(nameof(IScheduled.Schedule))!;
        var aliases = string.Join(", ",
            from column in schedule.ComplexType.GetProperties()
            select $"\"{column.GetColumnName()}\" AS \"{schedule.Name}_{column.Name}\"");
        return $"SELECT *, {aliases} FROM {AvatarDbContext.Schema}.hold_{db.TableName<T>()}(@id, @claim, @hold, @lease)";
    }

    /// <summary>Hands claims that could not be sent back to the schedule, due at once.</summary>
    public static Task<int> ReleaseAsync<T>(this AvatarDbContext db, IReadOnlyCollection<PollClaim> claims, CancellationToken cancellationToken)
        where T : class, IScheduled
    {
        var sql = $"""
            UPDATE {TableOf<T>(db)} SET "LeaseToken" = NULL, "NextPollAt" = now()
            WHERE "Id" = ANY(@ids) AND "LeaseToken" = ANY(@tokens)
            """;
        return db.Database.ExecuteSqlRawAsync(
            sql,
            [new NpgsqlParameter("ids", claims.Select(c => c.Id).ToArray()), new NpgsqlParameter("tokens", claims.Select(c => c.LeaseToken).ToArray())],
            cancellationToken);
    }

    /// <summary>The database's current time.</summary>
    public static async Task<DateTimeOffset> NowAsync(this AvatarDbContext db, CancellationToken cancellationToken) =>
        (await db.Database.SqlQueryRaw<DateTimeOffset>("""SELECT now() AS "Value" """).ToListAsync(cancellationToken)).Single();

    /// <summary>
    /// Deletes up to <paramref name="max"/> rows that finished more than <paramref name="retention"/> ago. <c>SKIP
    /// LOCKED</c> lets several instances sweep at once without waiting on each other.
    /// </summary>
    public static Task<int> DeleteFinishedAsync<T>(this AvatarDbContext db, TimeSpan retention, int max, CancellationToken cancellationToken)
        where T : class, IScheduled
    {
        var table = TableOf<T>(db);
        var sql = $"""
            DELETE FROM {table} WHERE "Id" IN (
                SELECT "Id" FROM {table}
                WHERE "NextPollAt" IS NULL AND "UpdatedAt" < now() - @retention
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            """;
        return db.Database.ExecuteSqlRawAsync(sql, [new NpgsqlParameter("retention", retention), new NpgsqlParameter("max", max)], cancellationToken);
    }

    /// <summary>
    /// Saves a flow's row as a compare-and-set on the <see cref="IScheduled.Version"/> (and lease token) its writer read:
    /// false when another writer changed the row since (their result stands; the caller drops its own).
    /// </summary>
    public static async Task<bool> TrySaveAsync(this AvatarDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException exception)
        {
            return await SavedAnywayAsync(exception, cancellationToken);
        }
    }

    /// <summary>
    /// After a save failed on a row's version: whether the row holds this very save anyway (its commit went through
    /// unacknowledged, and EF Core's retry of the save then found the version moved on by itself). If so the changes
    /// are accepted and the save counts as done.
    /// </summary>
    private static async Task<bool> SavedAnywayAsync(DbUpdateConcurrencyException exception, CancellationToken cancellationToken)
    {
        foreach (var entry in exception.Entries)
        {
            if (entry.Entity is not IScheduled
                || await entry.GetDatabaseValuesAsync(cancellationToken) is not { } stored
                || !Equals(stored[nameof(IScheduled.Version)], entry.CurrentValues[nameof(IScheduled.Version)])
                || !SameMicrosecond((DateTimeOffset)stored[nameof(IScheduled.UpdatedAt)]!, (DateTimeOffset)entry.CurrentValues[nameof(IScheduled.UpdatedAt)]!))
            {
                return false;
            }
        }

        exception.Entries[0].Context.ChangeTracker.AcceptAllChanges();
        return true;

        // PostgreSQL keeps microseconds; .NET's clock has ten times finer ticks.
        static bool SameMicrosecond(DateTimeOffset a, DateTimeOffset b) => a.UtcTicks / 10 == b.UtcTicks / 10;
    }

    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>The table <typeparamref name="T"/> is mapped to, as the model says (<c>sessions</c>, <c>submissions</c>).</summary>
    public static string TableName<T>(this AvatarDbContext db)
        where T : class, IScheduled =>
        db.Model.FindEntityType(typeof(T))?.GetTableName() ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped to a table.");

    private static string TableOf<T>(AvatarDbContext db)
        where T : class, IScheduled => $"{AvatarDbContext.Schema}.{db.TableName<T>()}";
}
