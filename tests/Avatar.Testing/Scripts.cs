namespace Avatar.Testing;

/// <summary>Runs one of the repository's <c>scripts/</c>, as a person would (each script finds the repository root itself), or a tool of the machine.</summary>
public static class Scripts
{
    /// <summary>Runs <c>scripts/<paramref name="script"/></c> with <paramref name="arguments"/>; returns what it printed, or throws with its errors.</summary>
    public static Task<string> RunAsync(string script, params string[] arguments) =>
        Services.RunAsync(Path.Combine(Repository.Root, "scripts", script), arguments);

    /// <summary>Runs a program of the machine (on PATH) with <paramref name="arguments"/>; returns what it printed, or throws with its errors.</summary>
    public static Task<string> RunToolAsync(string tool, params string[] arguments) => Services.RunAsync(tool, arguments);
}
