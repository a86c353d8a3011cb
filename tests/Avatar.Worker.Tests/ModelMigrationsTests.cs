using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Tests;

/// <summary>
/// The migrations describe the model the worker runs with. A change to an entity's configuration without its migration
/// (<c>dotnet run --project tools/MigrationScaffolder -- Name</c>) fails here in a second, rather than at every
/// worker's start, where EF Core refuses to migrate a database whose model has changes no migration holds.
/// </summary>
public sealed class ModelMigrationsTests
{
    [Fact]
    public void Every_change_to_the_model_has_its_migration()
    {
        // The model alone is compared with the migrations' snapshot; no connection is opened.
        var options = new DbContextOptionsBuilder<AvatarDbContext>()
            .UseAvatarDatabase("Host=localhost")
            .Options;
        using var db = new AvatarDbContext(options);

        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes no migration holds; scaffold one with tools/MigrationScaffolder");
    }
}
