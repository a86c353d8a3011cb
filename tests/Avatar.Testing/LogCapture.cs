using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Avatar.Testing;

/// <summary>Every log line a worker in this process writes, with its exception, for tests that read them.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public bool Contains(string text) => lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>The lines that hold any of <paramref name="secrets"/>.</summary>
    public IReadOnlyList<string> Holding(IEnumerable<string> secrets)
    {
        var list = secrets.Where(s => s.Length > 0).ToList();
        return [.. lines.Where(l => list.Any(s => l.Contains(s, StringComparison.Ordinal)))];
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
