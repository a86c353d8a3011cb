using System.Diagnostics;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>The worker as its own operating-system process, so a test can kill it the hard way.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;

    private WorkerProcess(Process process) => this.process = process;

    public static WorkerProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(WorkerAssembly());
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
    }

    /// <summary>SIGKILL: no graceful shutdown, no chance to finish or release anything.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public bool HasExited => process.HasExited;

    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
    }

    /// <summary>The worker's own build output, next to this test assembly's configuration (Debug or Release).</summary>
    private static string WorkerAssembly()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Worker.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "src", "Worker", "bin", configuration, framework, "Avatar.Worker.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the worker is not at " + path);
    }
}
