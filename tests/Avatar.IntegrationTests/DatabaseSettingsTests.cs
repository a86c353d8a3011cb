using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.IntegrationTests;

/// <summary>How the worker uses its connections to PostgreSQL.</summary>
[Collection(AvatarCollection.Name)]
public sealed class DatabaseSettingsTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task A_statement_the_worker_repeats_is_prepared_on_its_connection()
    {
        await using var scope = Fixture.Worker!.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
        await db.Database.OpenConnectionAsync();
        try
        {
            var groupId = $"unknown-{Guid.NewGuid():N}";
            for (var i = 0; i < 10; i++)
            {
                Assert.Null(await VerifiedGroup.FindAsync(db, groupId, CancellationToken.None));
            }

            var prepared = await db.Database.SqlQuery<string>($"""SELECT statement AS "Value" FROM pg_prepared_statements""").ToListAsync();
            Assert.Contains(prepared, statement => statement.Contains("verified_groups", StringComparison.Ordinal));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A rolling upgrade: a newer instance's migration adds a column while this one runs. A prepared <c>SELECT *</c> from
    /// the table would then be refused ("cached plan must not change result type"); the hold reads the row through its
    /// function, whose prepared projection keeps the columns it was prepared with, and must go on working.
    /// </summary>
    [Fact]
    public async Task A_prepared_hold_keeps_working_after_a_migration_adds_a_column()
    {
        var database = $"avatar_prepared_{Guid.NewGuid():N}";
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        try
        {
            var services = new ServiceCollection()
                .AddSingleton<IConfiguration>(new ConfigurationBuilder()
                    .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Avatar"] = connectionString })
                    .Build())
                .AddPersistence()
                .BuildServiceProvider();
            await using (services)
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AvatarDbContext>();
                await db.Database.MigrateAsync();
                var (id, claim) = (Guid.NewGuid(), Guid.NewGuid());
                var now = DateTimeOffset.UtcNow;
                db.Add(new AvatarSubmission
                {
                    Id = id,
                    GroupId = "g-prepared",
                    ProjectName = "default",
                    State = SubmissionState.InReview,
                    CreatedAt = now,
                    UpdatedAt = now,
                    Schedule = { LeaseToken = claim, NextPollAt = now.AddHours(1), Deadline = now.AddHours(2) },
                });
                await db.SaveChangesAsync();

                await db.Database.OpenConnectionAsync();
                for (var i = 0; i < 10; i++)
                {
                    claim = await HoldAsync(db, id, claim);
                }

                var prepared = await db.Database.SqlQuery<string>($"""SELECT statement AS "Value" FROM pg_prepared_statements""").ToListAsync();
                Assert.Contains(prepared, statement => statement.Contains("hold_submissions", StringComparison.Ordinal));

                await using (var newer = new AvatarDbContext(new DbContextOptionsBuilder<AvatarDbContext>().UseAvatarDatabase(connectionString).Options))
                {
                    await newer.Database.ExecuteSqlRawAsync("""ALTER TABLE avatar.submissions ADD COLUMN "AddedByANewerVersion" text""");
                }

                await HoldAsync(db, id, claim);
            }
        }
        finally
        {
            await Fixture.Services.DropDatabaseAsync(database);
        }

        static async Task<Guid> HoldAsync(AvatarDbContext db, Guid id, Guid claim)
        {
            var hold = Guid.NewGuid();
            Assert.NotNull(await db.HoldAsync<AvatarSubmission>(id, claim, hold, TimeSpan.FromMinutes(1), CancellationToken.None));
            db.ChangeTracker.Clear();
            return hold;
        }
    }
}
