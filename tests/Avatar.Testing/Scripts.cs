using System.Diagnostics;

namespace Avatar.Testing;

/// <summary>Runs one of the repository's <c>scripts/</c>, as a person would from its root.</summary>
public static class Scripts
{
    /// <summary>Runs <c>scripts/<paramref name="script"/></c> with <paramref name="arguments"/>; returns what it printed, or throws with its errors.</summary>
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(Repository.Root, "scripts", script))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"scripts/{script} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
    }
}
