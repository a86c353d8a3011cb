using Microsoft.EntityFrameworkCore;

namespace Avatar.Persistence;

public sealed class AvatarDbContext(DbContextOptions<AvatarDbContext> options) : DbContext(options)
{
    public const string Schema = "avatar";

    public DbSet<AvatarSession> Sessions => Set<AvatarSession>();

    public DbSet<AvatarSubmission> Submissions => Set<AvatarSubmission>();

    public DbSet<VerifiedGroup> VerifiedGroups => Set<VerifiedGroup>();

    /// <summary>
    /// Saves, first cutting every string to its column's length. Much of what is stored comes from xcompute (error
    /// messages and codes, statuses, task ids), and a longer answer than expected must never fail the save that records
    /// a review's outcome and its usable assets. The lengths are read from the model, so each is written once, in the
    /// entity's configuration.
    /// </summary>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        FitToColumns();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        FitToColumns();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <summary>The length of a string column, as configured.</summary>
    public int MaxLengthOf<TEntity>(string property) =>
        Model.FindEntityType(typeof(TEntity))?.FindProperty(property)?.GetMaxLength()
        ?? throw new InvalidOperationException($"{typeof(TEntity).Name}.{property} has no configured length.");

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AvatarDbContext).Assembly);
        VerifiedGroup.Map(modelBuilder.Entity<VerifiedGroup>());
    }

    private void FitToColumns()
    {
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            foreach (var property in entry.Properties)
            {
                if (property.CurrentValue is string { } value
                    && property.Metadata.GetMaxLength() is { } max
                    && value.Length > max)
                {
                    property.CurrentValue = value[..max];
                }
            }
        }
    }
}
