namespace Avatar.Persistence.Sql;

/// <summary>The SQL the migrations apply from files of their own (embedded in this assembly), so each version reads whole.</summary>
internal static class SqlScripts
{
    public static string Read(string name)
    {
        using var stream = typeof(SqlScripts).Assembly.GetManifestResourceStream($"{typeof(SqlScripts).Namespace}.{name}")
            ?? throw new InvalidOperationException($"No SQL script {name} in {typeof(SqlScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
