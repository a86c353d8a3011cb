using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Avatar.Persistence;

public sealed class AvatarDbContext(DbContextOptions<AvatarDbContext> options) : DbContext(options)
{
    /// <summary>
    /// A context of its own on <paramref name="connectionString"/>, configured as the worker's are
    /// (<see cref="PersistenceServices.UseAvatarDatabase"/>), outside dependency injection: the ops command, tests, benchmarks.
    /// </summary>
    public static AvatarDbContext Open(string connectionString, params IInterceptor[] interceptors) =>
        new(new DbContextOptionsBuilder<AvatarDbContext>().UseAvatarDatabase(connectionString).AddInterceptors(interceptors).Options);

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
    /// <remarks>
    /// Changes are detected once, here; the cut values are set through the change tracker, so the save needs no second
    /// scan: every message saves at least once, so a second scan of every property would be paid on every message
    /// (what it cost in a profile: docs/benchmarks.md).
    /// </remarks>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var detecting = ChangeTracker.AutoDetectChangesEnabled;
        try
        {
            DetectOnceAndFitToColumns();
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var detecting = ChangeTracker.AutoDetectChangesEnabled;
        try
        {
            DetectOnceAndFitToColumns();
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
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

    /// <summary>The string properties of each entity type that have a length; the model is the same for every context.</summary>
    private static readonly ConcurrentDictionary<IEntityType, (IProperty Property, int MaxLength)[]> LimitedStrings = new();

    /// <summary>
    /// Detects changes, turns automatic detection off for the save (the caller restores it), moves each changed flow's
    /// <see cref="IScheduled.Version"/> on, and cuts strings.
    /// </summary>
    private void DetectOnceAndFitToColumns()
    {
        ChangeTracker.DetectChanges();
        ChangeTracker.AutoDetectChangesEnabled = false;
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            var values = entry.CurrentValues;
            if (entry is { State: EntityState.Modified, Entity: IScheduled })
            {
                var version = entry.Property(nameof(IScheduled.Version));
                version.CurrentValue = (int)version.OriginalValue! + 1;
            }

            foreach (var (property, max) in LimitedStrings.GetOrAdd(entry.Metadata, Limited))
            {
                if (values[property] is string { } value && value.Length > max)
                {
                    values[property] = value[..max];
                }
            }
        }
    }

    private static (IProperty, int)[] Limited(IEntityType type) =>
        [.. from property in type.GetProperties()
            where property.ClrType == typeof(string)
            let max = property.GetMaxLength()
            where max is not null
            select (property, max.Value)];
}
