using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.IntegrationTests;

/// <summary>How the worker uses its connections to PostgreSQL.</summary>
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
                Assert.False(await VerifiedGroup.IsKnownAsync(db, groupId, CancellationToken.None));
            }

            var prepared = await db.Database.SqlQuery<string>($"""SELECT statement AS "Value" FROM pg_prepared_statements""").ToListAsync();
            Assert.Contains(prepared, statement => statement.Contains("verified_groups", StringComparison.Ordinal));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
