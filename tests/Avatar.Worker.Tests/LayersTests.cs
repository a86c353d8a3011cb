using System.Text.RegularExpressions;

namespace Avatar.Worker.Tests;

/// <summary>
/// The worker's folders read top-down: each depends only on those below it (docs/architecture.md draws them). The
/// composition at the top (<c>WorkerHost.cs</c>, <c>Bus.cs</c>, <c>Program.cs</c>) may use them all.
/// </summary>
public sealed partial class LayersTests
{
    /// <summary>Bottom first.</summary>
    public static readonly string[] Layers =
        ["Telemetry", "Hosting", "Health", "Messaging", "Security", "XCompute", "Scheduling", "Callback", "Workflows", "Consumers"];

    [Fact]
    public void Each_folder_of_the_worker_uses_only_the_folders_below_it()
    {
        var worker = Path.Combine(RepositoryRoot(), "src", "Worker");
        Assert.Equal(Layers.Order(), Directory.GetDirectories(worker).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).Order());

        var upward = (
            from layer in Layers
            from file in Directory.GetFiles(Path.Combine(worker, layer), "*.cs")
            from line in File.ReadLines(file)
            where !line.TrimStart().StartsWith("namespace ", StringComparison.Ordinal)
            from Match used in Reference().Matches(line)
            let target = used.Groups["layer"].Value
            where target != layer && Array.IndexOf(Layers, target) > Array.IndexOf(Layers, layer)
            select $"{Path.GetRelativePath(worker, file)} uses {target}: {line.Trim()}").Distinct().ToList();

        Assert.True(upward.Count == 0, string.Join(Environment.NewLine, upward));
    }

    [Fact]
    public void The_check_sees_a_reference_upward()
    {
        Assert.Matches(Reference(), "using Avatar.Worker.Consumers;");
        Assert.Matches(Reference(), "    public Messaging.CallerOptions Callers { get; set; }");
        Assert.DoesNotMatch(Reference(), "    private const string Category = \"Microsoft.AspNetCore.Hosting.Diagnostics\";");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Worker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Worker.sln not found above the test's directory");
    }

    /// <summary>A folder named as a namespace: <c>Avatar.Worker.X</c>, or <c>X.Type</c> relative to the worker's namespace.</summary>
    [GeneratedRegex(@"(?:Avatar\.Worker\.|(?<![\w.""]))(?<layer>Telemetry|Hosting|Health|Messaging|Security|XCompute|Scheduling|Callback|Workflows|Consumers)\b(?:;|\.[A-Z])")]
    private static partial Regex Reference();
}
