using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.Persistence;

public static class Extensions
{
    public const string ConnectionStringName = "Avatar";

    /// <summary>
    /// Registers <see cref="AvatarDbContext"/> on <c>ConnectionStrings:Avatar</c> and a hosted service that applies
    /// migrations at start-up unless <c>Database:MigrateOnStartup</c> is false.
    /// Call it before the messaging registration so the schema exists before the first message arrives.
    /// </summary>
    /// <remarks>
    /// Pooled: every message and every dispatcher round takes a context, and building one from scratch (its options,
    /// its internal services) cost more processor time than the statements it then ran (see README, "Benchmark").
    /// The context holds no state of its own, so a pooled one is as good as new.
    /// </remarks>
    public static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        services.AddDbContextPool<AvatarDbContext>((provider, options) =>
        {
            var connectionString = provider.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not configured.");
            options.UseNpgsql(connectionString, npgsql => npgsql
                .MigrationsHistoryTable("__EFMigrationsHistory", AvatarDbContext.Schema)

                // Rides out a short blip (a dropped connection, a restarting server) inside one statement, about 15 s in all;
                // longer outages are the message retries' to ride out. Safe because every save is conditioned on a lease
                // token that the save itself does not change, so repeating a save whose commit went unacknowledged matches again.
                .EnableRetryOnFailure(maxRetryCount: 4, maxRetryDelay: TimeSpan.FromSeconds(10), errorCodesToAdd: null));

            // A failing command surfaces as an exception where it is handled (and logged once there); at Error level EF
            // would also report expected outcomes, such as the unique-key race between two copies of one command.
            options.ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug)));
        });

        services.AddHostedService<DatabaseMigrator>();
        return services;
    }
}
