using System.Globalization;
using System.Text.Json;
using Avatar.Persistence;
using Avatar.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Avatar.Benchmarks;

/// <summary>
/// How long the dispatcher's claim statement takes with many open rows of which most are claimed, on the real
/// PostgreSQL, next to its reference in the same run: the layout before the schedule moved claims into NextPollAt
/// (a separate lease column, so claimed rows stayed due and the index scan had to step over them).
/// Each statement runs under EXPLAIN ANALYZE in a transaction that is rolled back, so every run sees the same rows.
/// </summary>
public static class ClaimQueryBenchmark
{
    private const int Runs = 50;

    // Runs before these are timed: the first few pay for planning and a cold buffer cache.
    private const int WarmUp = 5;
    private const int Batch = 50;

    public static async Task<int> RunAsync(int rows, TextWriter output)
    {
        await using var services = await Services.StartAsync();
        var database = $"avatar_claims_{Guid.NewGuid():N}";
        var connectionString = await services.CreateDatabaseAsync(database);
        try
        {
            await using (var db = AvatarDbContext.Open(connectionString))
            {
                await db.Database.MigrateAsync();
            }

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var claimed = rows * 7 / 10;
            await ExecuteAsync(connection, Setup(rows, claimed));
            await ExecuteAsync(connection, "VACUUM ANALYZE avatar.submissions");
            await ExecuteAsync(connection, "VACUUM ANALYZE reference_submissions");

            var current = await TimeAsync(connection, """
                UPDATE avatar.submissions AS t
                SET "LeaseToken" = gen_random_uuid(), "NextPollAt" = now() + interval '60 seconds'
                WHERE t."Id" IN (
                    SELECT "Id" FROM avatar.submissions WHERE "NextPollAt" <= now()
                    ORDER BY "NextPollAt" LIMIT 50 FOR UPDATE SKIP LOCKED)
                RETURNING t."Id", t."LeaseToken"
                """);
            var reference = await TimeAsync(connection, """
                UPDATE reference_submissions AS t
                SET "LeaseToken" = gen_random_uuid(), "LeaseExpiresAt" = now() + interval '60 seconds'
                WHERE t."Id" IN (
                    SELECT "Id" FROM reference_submissions
                    WHERE "NextPollAt" <= now() AND ("LeaseExpiresAt" IS NULL OR "LeaseExpiresAt" <= now())
                    ORDER BY "NextPollAt" LIMIT 50 FOR UPDATE SKIP LOCKED)
                RETURNING t."Id", t."LeaseToken"
                """);

            output.WriteLine($"claim statement with {rows:N0} open rows ({claimed:N0} claimed, {rows - claimed:N0} due), {Batch} rows a claim, {Runs} runs after {WarmUp} warm-up runs, server execution time:");
            output.WriteLine($"  schedule: claimed rows are not due        {Describe(current)}");
            output.WriteLine($"  reference: separate lease column          {Describe(reference)}");
            return 0;
        }
        finally
        {
            await services.DropDatabaseAsync(database);
        }
    }

    /// <summary>The same open rows twice: in the worker's table, and in the old layout whose claimed rows kept their past due time.</summary>
    private static string Setup(int rows, int claimed) => $"""
        INSERT INTO avatar.submissions
            ("Id", "GroupId", "ProjectName", "AssetType", "State", "CreatedAt", "UpdatedAt", "Deadline",
             "NextPollAt", "LeaseToken", "PollAttempts", "UnfinishedAttempts", "Assets", "UsableAssets", "FailedAssets")
        SELECT gen_random_uuid(), 'group', 'default', 'Video', 'InReview', now(), now(), now() + interval '15 minutes',
               CASE WHEN i <= {claimed} THEN now() + interval '60 seconds' ELSE now() - interval '1 second' END,
               gen_random_uuid(), 1, 0, '[]', '[]', '[]'
        FROM generate_series(1, {rows}) AS i;

        CREATE TABLE reference_submissions (LIKE avatar.submissions INCLUDING ALL);
        ALTER TABLE reference_submissions ADD COLUMN "LeaseExpiresAt" timestamp with time zone;
        INSERT INTO reference_submissions
        SELECT s.*, CASE WHEN s."NextPollAt" > now() THEN s."NextPollAt" END FROM avatar.submissions AS s;
        UPDATE reference_submissions SET "NextPollAt" = now() - interval '2 minutes' WHERE "LeaseExpiresAt" IS NOT NULL;
        """;

    private static async Task<List<double>> TimeAsync(NpgsqlConnection connection, string statement)
    {
        var times = new List<double>();
        for (var i = 0; i < WarmUp + Runs; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand($"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", connection, transaction);
            var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!);
            if (i >= WarmUp)
            {
                times.Add(plan.RootElement[0].GetProperty("Execution Time").GetDouble());
            }

            var claimedRows = plan.RootElement[0].GetProperty("Plan").GetProperty("Actual Rows").GetDouble();
            if (claimedRows != Batch)
            {
                throw new InvalidOperationException($"The claim took {claimedRows} rows, not {Batch}.");
            }

            await transaction.RollbackAsync();
        }

        times.Sort();
        return times;
    }

    private static string Describe(List<double> times) => string.Create(
        CultureInfo.InvariantCulture, $"p50 {times[times.Count / 2]:0.00} ms, p95 {times[(int)(times.Count * 0.95)]:0.00} ms, max {times[^1]:0.00} ms");

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
