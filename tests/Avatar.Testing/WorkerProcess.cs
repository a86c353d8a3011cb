using System.Diagnostics;

namespace Avatar.Testing;

/// <summary>The worker as its own operating-system process, so a test can kill it the hard way.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();
    private readonly StreamWriter? log;

    // Workers never outlive the process that started them, even when it ends without disposing them (an unhandled
    // exception, SIGTERM): a leftover worker would consume the next run's messages against a database that is gone.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<WorkerProcess, byte> Running = new();

    static WorkerProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var worker in Running.Keys)
        {
            worker.Dispose();
        }
    };

    private WorkerProcess(Process process, StreamWriter? log)
    {
        this.process = process;
        this.log = log;
        Running[this] = 0;
    }

    /// <summary>
    /// Starts the worker with <paramref name="settings"/> in its environment (as <c>Section__Key</c>), never on its
    /// command line, where <c>ps</c> would show the API key. Every line it writes goes to <paramref name="logFile"/>, if given.
    /// </summary>
    public static WorkerProcess Start(IReadOnlyDictionary<string, string> settings, string? logFile = null) =>
        Start(BuildOutput("src/Worker", "Avatar.Worker"), settings, logFile);

    /// <summary>Another .NET program of the repository (<paramref name="assembly"/>, from <see cref="BuildOutput"/>), started the same way.</summary>
    public static WorkerProcess Start(string assembly, IReadOnlyDictionary<string, string> settings, string? logFile = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(assembly);
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // The host announces "Application started" once its bus consumes (MassTransit waits until started).
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var writer = logFile is null ? null : new StreamWriter(logFile, append: true) { AutoFlush = true };
        var worker = new WorkerProcess(Process.Start(info)!, writer);
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

        lock (output)
        {
            log?.WriteLine(line);
        }

        output.Enqueue(line);
        while (output.Count > 50 && output.TryDequeue(out _))
        {
        }

        if (line.IndexOf("Now listening on: ", StringComparison.Ordinal) is var at and >= 0)
        {
            BaseAddress ??= new Uri(line[(at + "Now listening on: ".Length)..].Trim());
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    /// <summary>Where the worker serves health and metrics, once it has started.</summary>
    public Uri? BaseAddress { get; private set; }

    /// <summary>SIGKILL: no graceful shutdown, no chance to finish or release anything.</summary>
    public void Kill()
    {
        Stopping = true;
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

    /// <summary>The processor time the process has used so far, user and system.</summary>
    public TimeSpan ProcessorTime()
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>Asks the worker to stop as an orchestrator would (SIGTERM) and waits for it, 45 s unless told otherwise.</summary>
    public void Stop(TimeSpan? wait = null)
    {
        if (!process.HasExited)
        {
            Stopping = true;
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            process.WaitForExit(wait ?? TimeSpan.FromSeconds(45));
        }
    }

    /// <summary>The process's exit code, once it has exited.</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>Whether this process was asked to stop (<see cref="Stop"/>) or killed (<see cref="Kill"/>).</summary>
    public bool Stopping { get; private set; }

    /// <summary>The worker left although nobody stopped or killed it.</summary>
    public bool ExitedByItself => process.HasExited && !Stopping;

    public void Dispose()
    {
        Running.TryRemove(this, out _);
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
        lock (output)
        {
            log?.Dispose();
        }
    }

    /// <summary>
    /// The build output of the program in <paramref name="project"/> (a folder of the repository), in this test
    /// assembly's configuration (Debug or Release).
    /// </summary>
    public static string BuildOutput(string project, string assemblyName)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var path = Path.Combine(Repository.Root, project, "bin", configuration, framework, assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {assemblyName} is not at {path}");
    }
}
