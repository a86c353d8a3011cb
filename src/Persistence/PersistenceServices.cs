using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Avatar.Persistence;

public static class PersistenceServices
{
    public const string ConnectionStringName = "Avatar";

    /// <summary>
    /// Registers <see cref="AvatarDbContext"/> on <c>ConnectionStrings:Avatar</c> and a hosted service that applies
    /// migrations at start-up unless <c>Database:MigrateOnStartup</c> is false.
    /// Call it before the messaging registration so the schema exists before the first message arrives.
    /// </summary>
    /// <remarks>
    /// Pooled: every message and every dispatcher round takes a context, and building one from scratch (its options,
    /// its internal services) cost more processor time than the statements it then ran (see docs/benchmarks.md).
    /// The context holds no state of its own, so a pooled one is as good as new.
    /// </remarks>
    public static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        services.AddDbContextPool<AvatarDbContext>((provider, options) =>
        {
            var connectionString = provider.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not configured.");
            // Rides out a short blip (a dropped connection, a restarting server) inside one statement, about 15 s in all;
            // longer outages are the message retries' to ride out. Safe because every save is conditioned on a lease
            // token that the save itself does not change, so repeating a save whose commit went unacknowledged matches again.
            options.UseAvatarDatabase(WithStatementReuse(connectionString), npgsql => npgsql
                .EnableRetryOnFailure(maxRetryCount: 4, maxRetryDelay: TimeSpan.FromSeconds(10), errorCodesToAdd: null));

            // EF Core interceptors registered as services join every context: none in production; the race tests'
            // pause point in the save.
            options.AddInterceptors(provider.GetServices<IInterceptor>());
        });

        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        services.AddHostedService<DatabaseMigrator>();
        return services;
    }

    /// <summary>
    /// PostgreSQL at <paramref name="connectionString"/>: the one way every context of the worker's database is
    /// configured (the worker, <c>avatar-admin</c>, the migration scaffolder, the tests and the benchmarks), with the
    /// migrations' history in the worker's schema; <paramref name="npgsql"/> adds settings of the caller's own.
    /// </summary>
    /// <remarks>
    /// A failing command or save surfaces as an exception where it is handled, and is logged there if it matters; at
    /// Error level EF Core would also report outcomes the worker expects and handles, such as the unique-key race between
    /// two copies of one command, and wake whoever alerts on errors for nothing.
    /// </remarks>
    public static TBuilder UseAvatarDatabase<TBuilder>(this TBuilder options, string connectionString, Action<NpgsqlDbContextOptionsBuilder>? npgsql = null)
        where TBuilder : DbContextOptionsBuilder
    {
        options.UseNpgsql(connectionString, o =>
        {
            o.MigrationsHistoryTable("__EFMigrationsHistory", AvatarDbContext.Schema);
            npgsql?.Invoke(o);
        });
        options.ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug), (CoreEventId.SaveChangesFailed, LogLevel.Debug)));
        return options;
    }

    /// <summary>
    /// <paramref name="connectionString"/> with the two Npgsql settings the worker's statements gain from, each unless
    /// the connection string sets it: <c>Max Auto Prepare=64</c> (a statement run five times on a connection is
    /// prepared there, so PostgreSQL parses and plans the hold, the claim and each shape of save once per connection
    /// instead of every time) and <c>No Reset On Close=true</c> (a connection handed back to the pool is not reset:
    /// with prepared statements the reset is seven statements run before the next one). The worker leaves no
    /// session state behind to reset: no <c>SET</c>, temporary table or <c>LISTEN</c>, and the migrator releases its
    /// advisory lock itself. Behind PgBouncer in transaction mode older than 1.21, set <c>Max Auto Prepare=0</c>.
    /// </summary>
    public static string WithStatementReuse(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = builder.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains(MaxAutoPrepare))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!given.Contains(NoResetOnClose))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    private const string MaxAutoPrepare = "Max Auto Prepare";
    private const string NoResetOnClose = "No Reset On Close";
}
