using System.Diagnostics;

namespace Avatar.Testing;

/// <summary>The worker as its own operating-system process, so a test can kill it the hard way.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private WorkerProcess(Process process) => this.process = process;

    public static WorkerProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(WorkerAssembly());
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        // The host announces "Application started" once its bus consumes (MassTransit waits until started).
        info.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");

        var worker = new WorkerProcess(Process.Start(info)!);
        worker.process.OutputDataReceived += (_, line) => worker.Record(line.Data);
        worker.process.ErrorDataReceived += (_, line) => worker.Record(line.Data);
        worker.process.Exited += (_, _) => worker.started.TrySetException(new InvalidOperationException($"The worker exited:{Environment.NewLine}{worker.Output}"));
        worker.process.EnableRaisingEvents = true;
        worker.process.BeginOutputReadLine();
        worker.process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>The last lines the worker wrote.</summary>
    public string Output => string.Join(Environment.NewLine, output);

    /// <summary>Completes once the worker's queues exist and consume.</summary>
    public async Task WaitUntilStartedAsync(TimeSpan timeout)
    {
        try
        {
            await started.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The worker did not start within {timeout}:{Environment.NewLine}{Output}");
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 50 && output.TryDequeue(out _))
        {
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    /// <summary>SIGKILL: no graceful shutdown, no chance to finish or release anything.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public bool HasExited => process.HasExited;

    /// <summary>The process's peak resident memory so far (VmHWM), in bytes; Linux only.</summary>
    public long PeakResidentBytes()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Asks the worker to stop as an orchestrator would (SIGTERM) and waits for it.</summary>
    public void Stop()
    {
        if (!process.HasExited)
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            process.WaitForExit(30_000);
        }
    }

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
