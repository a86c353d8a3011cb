namespace Avatar.Testing;

/// <summary>
/// The PostgreSQL primary and synchronous standby of <c>scripts/postgres-pair.sh</c> (Debian's package, on this
/// machine), started if it is not running; the test plays the HA manager that promotes the standby.
/// </summary>
public sealed class DatabasePair
{
    private DatabasePair(string connectionString) => AdminConnectionString = connectionString;

    /// <summary>A multi-host connection string (<c>Target Session Attributes=primary</c>) of a login that may create databases.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Starts the pair afresh (a primary and its standby, whatever ran before) and returns it.</summary>
    public static async Task<DatabasePair> UpAsync()
    {
        await Scripts.RunAsync("postgres-pair.sh", "down");
        var up = await Scripts.RunAsync("postgres-pair.sh", "up");
        return new DatabasePair(up.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith("connection ", StringComparison.Ordinal))[11..]);
    }

    /// <summary>The primary's postmaster and backends are killed (SIGKILL), as if its machine were lost.</summary>
    public Task KillPrimaryAsync() => Scripts.RunAsync("postgres-pair.sh", "kill-primary");

    /// <summary>The standby becomes the primary, as an HA manager promotes it.</summary>
    public Task PromoteStandbyAsync() => Scripts.RunAsync("postgres-pair.sh", "promote");

    public Task DownAsync() => Scripts.RunAsync("postgres-pair.sh", "down");
}
