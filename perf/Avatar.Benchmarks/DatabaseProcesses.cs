using System.Globalization;

namespace Avatar.Benchmarks;

/// <summary>
/// Processor time PostgreSQL's processes on this machine have used so far: every process named <c>postgres</c> (the
/// server, its backends and background workers), with the time of those that already exited, which the server's main
/// process collects. A review costs the database about half what it costs the worker (see docs/benchmarks.md), and
/// the two share the machine; null when PostgreSQL runs elsewhere and there is nothing to read.
/// </summary>
internal static class DatabaseProcesses
{
    // /proc reports times in clock ticks of 1/100 s (USER_HZ, fixed by the kernel's ABI).
    private const double TicksPerSecond = 100;

    public static TimeSpan? ProcessorTime()
    {
        long ticks = 0;
        var found = false;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _) || TryReadTicks(directory) is not { } own)
            {
                continue;
            }

            ticks += own;
            found = true;
        }

        return found ? TimeSpan.FromSeconds(ticks / TicksPerSecond) : null;
    }

    /// <summary>User and system time of a <c>postgres</c> process and of its children that exited; null for any other process.</summary>
    private static long? TryReadTicks(string directory)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(directory, "stat"));
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": the name may hold spaces, so fields are counted from its closing parenthesis.
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open || stat[(open + 1)..close] != "postgres")
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ');
        return Field(fields, 11) + Field(fields, 12) + Field(fields, 13) + Field(fields, 14); // utime stime cutime cstime

        static long Field(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
    }
}
