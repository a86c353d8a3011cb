using Microsoft.EntityFrameworkCore;

namespace Avatar.Persistence;

public sealed class AvatarDbContext(DbContextOptions<AvatarDbContext> options) : DbContext(options)
{
    public const string Schema = "avatar";

    public DbSet<AvatarSession> Sessions => Set<AvatarSession>();

    public DbSet<AvatarSubmission> Submissions => Set<AvatarSubmission>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AvatarDbContext).Assembly);
    }
}
