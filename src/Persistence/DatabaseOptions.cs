namespace Avatar.Persistence;

/// <summary>The database connection's switches (section <c>Database</c>).</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply pending migrations when the worker starts (one instance at a time, under an advisory lock).</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// Development switch: connect to a PostgreSQL on another machine without <c>SSL Mode=VerifyFull</c> (or
    /// <c>VerifyCA</c>). Without it the worker refuses to start so.
    /// </summary>
    public bool AllowInsecureConnection { get; set; }
}
