// Usage: dotnet run --project tools/MigrationScaffolder -- <MigrationName>
// Adds a migration to src/Persistence/Migrations, as `dotnet ef migrations add` would.
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;

if (args is not [var name])
{
    Console.Error.WriteLine("usage: MigrationScaffolder <MigrationName>");
    return 2;
}

var root = Directory.GetCurrentDirectory();
while (!File.Exists(Path.Combine(root, "Worker.sln")))
{
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run this inside the repository.");
}

// The model alone is needed; no connection is opened.
var options = new DbContextOptionsBuilder<AvatarDbContext>()
    .UseAvatarDatabase("Host=localhost")
    .Options;
await using var context = new AvatarDbContext(options);

var reporter = new OperationReporter(new OperationReportHandler(
    error => Console.Error.WriteLine(error), warning => Console.WriteLine(warning), Console.WriteLine, Console.WriteLine));
var services = new DesignTimeServicesBuilder(typeof(AvatarDbContext).Assembly, typeof(AvatarDbContext).Assembly, reporter, [])
    .Build(context);

var scaffolder = services.GetRequiredService<IMigrationsScaffolder>();
var migration = scaffolder.ScaffoldMigration(name, "Avatar.Persistence", "Migrations", "C#");
var files = scaffolder.Save(Path.Combine(root, "src", "Persistence"), migration, Path.Combine(root, "src", "Persistence", "Migrations"));
Console.WriteLine($"Wrote {files.MigrationFile}, {files.MetadataFile} and {files.SnapshotFile}");
return 0;
