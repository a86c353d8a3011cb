using System.Diagnostics;
using Avatar.Persistence;

namespace Avatar.Worker.Telemetry;

/// <summary>
/// Keeps one trace from a command to its outcome event across the schedule: the row stores the trace context of the
/// command that started its current step, and each poll the dispatcher sends continues that trace.
/// </summary>
public static class ScheduleTracing
{
    public const string SourceName = "Avatar.Worker.Schedule";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Remembers the current trace on <paramref name="row"/>, so its polls continue it.</summary>
    public static void Remember(IScheduled row)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            row.Schedule.TraceParent = current.Id;
        }
    }

    /// <summary>Starts the span under which a claim is sent, as a child of the trace the row remembers.</summary>
    public static Activity? StartDispatch(string? traceParent, string queue) =>
        ActivityContext.TryParse(traceParent, null, out var parent)
            ? Source.StartActivity($"{queue} dispatch", ActivityKind.Producer, parent)
            : Source.StartActivity($"{queue} dispatch", ActivityKind.Producer);
}
