using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Avatar.IntegrationTests;

/// <summary>Rows stored by an earlier version read back after the migrations of a later one.</summary>
[Collection(AvatarCollection.Name)]
public sealed class MigrationTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    [Fact]
    public async Task Asset_lists_stored_as_owned_entities_as_null_or_left_out_read_back_as_lists()
    {
        var database = $"avatar_migration_{Guid.NewGuid():N}";
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        try
        {
            var options = new DbContextOptionsBuilder<AvatarDbContext>()
                .UseAvatarDatabase(connectionString)
                .Options;
            var approved = Guid.NewGuid();
            var pending = Guid.NewGuid();
            await using (var before = new AvatarDbContext(options))
            {
                // The schema as the version before complex collections left it; its lists were nullable jsonb.
                await before.GetService<IMigrator>().MigrateAsync("20261129113505_SessionCallbackAt");
                await before.Database.ExecuteSqlAsync($$"""
                    INSERT INTO avatar.submissions ("Id", "GroupId", "ProjectName", "AssetType", "State", "Assets", "UsableAssets", "FailedAssets",
                        "CreatedAt", "UpdatedAt", "PollAttempts", "UnfinishedAttempts", "Deadline")
                    VALUES
                        ({{approved}}, 'g', 'p', 'Video', 'Approved', '[{"Url": "https://cdn.example/a.mp4", "Name": "front"}]'::jsonb,
                         '[{"AssetId": "a1", "AssetUrl": "asset://a1", "Name": "front", "Status": "Active"}]'::jsonb, NULL, now(), now(), 0, 0, now()),
                        ({{pending}}, 'g', 'p', 'Video', 'Pending', '[]'::jsonb, NULL, NULL, now(), now(), 0, 0, now())
                    """);
            }

            await using var after = new AvatarDbContext(options);
            await after.Database.MigrateAsync();

            // A row inserted without its lists gets the columns' default: an empty list.
            var inserted = Guid.NewGuid();
            await after.Database.ExecuteSqlAsync($"""
                INSERT INTO avatar.submissions ("Id", "GroupId", "ProjectName", "AssetType", "State", "CreatedAt", "UpdatedAt", "PollAttempts", "UnfinishedAttempts", "Deadline")
                VALUES ({inserted}, 'g', 'p', 'Video', 'Pending', now(), now(), 0, 0, now())
                """);

            var rows = await after.Submissions.ToDictionaryAsync(s => s.Id);
            var asset = Assert.Single(rows[approved].Assets);
            Assert.Equal(("https://cdn.example/a.mp4", "front"), (asset.Url, asset.Name));
            var usable = Assert.Single(rows[approved].UsableAssets);
            Assert.Equal(("a1", "asset://a1", "front", "Active"), (usable.AssetId, usable.AssetUrl, usable.Name, usable.Status));
            Assert.Empty(rows[approved].FailedAssets);
            Assert.Empty(rows[pending].Assets);
            Assert.Empty(rows[pending].UsableAssets);
            Assert.Empty(rows[inserted].Assets);
            Assert.Empty(rows[inserted].FailedAssets);

            // And a list set later is stored.
            rows[pending].FailedAssets = [new ReviewedAsset { AssetId = "a2", AssetUrl = "asset://a2", Status = "Failed" }];
            await after.SaveChangesAsync();
            await using var reread = new AvatarDbContext(options);
            Assert.Equal("a2", Assert.Single((await reread.Submissions.SingleAsync(s => s.Id == pending)).FailedAssets).AssetId);
        }
        finally
        {
            await Fixture.Services.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task The_hold_a_fresh_database_gets_is_the_one_in_its_newest_sql_file_and_a_step_back_restores_the_one_before()
    {
        var database = $"avatar_migration_{Guid.NewGuid():N}";
        var connectionString = await Fixture.Services.CreateDatabaseAsync(database);
        try
        {
            await using var db = AvatarDbContext.Open(connectionString);
            await db.Database.MigrateAsync();
            Assert.Equal(["plpgsql with synchronous_commit off", "plpgsql with synchronous_commit off"], await HoldsAsync(db));

            // LighterHold's Down: the hold of Sql/hold_v1.sql again.
            await db.GetService<IMigrator>().MigrateAsync("20261129170626_HoldReturnsTheRow");
            Assert.Equal(["sql", "sql"], await HoldsAsync(db));
        }
        finally
        {
            await Fixture.Services.DropDatabaseAsync(database);
        }

        static async Task<List<string>> HoldsAsync(AvatarDbContext db) => await db.Database.SqlQueryRaw<string>("""
            SELECT l.lanname || CASE WHEN p.prosrc LIKE '%synchronous_commit%' THEN ' with synchronous_commit off' ELSE '' END AS "Value"
            FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'avatar' AND p.proname IN ('hold_sessions', 'hold_submissions') ORDER BY p.proname
            """).ToListAsync();
    }
}
