using System.Text.Json;

namespace Avatar.Worker.XCompute;

/// <summary>One reading of <c>GET /v1/tasks/{id}</c> (or a step reply shaped like a task).</summary>
public sealed record TaskSnapshot(string? Id, string Status, int? Progress, JsonElement? Result, string? ErrorCode, string? ErrorMessage)
{
    /// <summary><c>estimated_time</c>: how long the whole task should take, when xcompute says (a positive number of seconds).</summary>
    public TimeSpan? EstimatedTime { get; init; }

    /// <summary>
    /// How long an ended task ran, when xcompute says: <c>actual_time</c>, else <c>completed</c> minus <c>created</c>
    /// (whole seconds either way).
    /// </summary>
    public TimeSpan? ActualTime { get; init; }

    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static TaskSnapshot From(JsonElement data)
    {
        var error = data.Find("error");
        var estimate = Seconds(data, "estimated_time");
        var actual = Seconds(data, "actual_time")
            ?? (Seconds(data, "completed", UnixTime) is { } completed && Seconds(data, "created", UnixTime) is { } created && completed >= created
                ? completed - created
                : null);
        return new TaskSnapshot(
            Id: data.String("id", "task_id"),
            Status: data.String("status")?.ToLowerInvariant() ?? "unknown",
            Progress: data.Find("progress") is { ValueKind: JsonValueKind.Number } progress && progress.TryGetInt32(out var percent) ? percent : null,
            // Documented as present only on "completed", yet a partly failed review carries it too: read it whenever it is there.
            Result: data.Find("result") is { ValueKind: JsonValueKind.Object } result ? result : null,
            ErrorCode: error is { ValueKind: JsonValueKind.Object } details ? details.String("code", "type") : null,
            ErrorMessage: error switch
            {
                { ValueKind: JsonValueKind.Object } inner => inner.String("message", "msg"),
                { ValueKind: JsonValueKind.String } text => text.GetString(),
                _ => null,
            })
        {
            EstimatedTime = estimate,
            ActualTime = actual,
        };
    }

    private const double UnixTime = double.MaxValue;

    // A positive number of seconds below `limit` (a day for a duration; UnixTime for a moment), else null.
    private static TimeSpan? Seconds(JsonElement data, string name, double limit = 86_400) =>
        data.Find(name) is { ValueKind: JsonValueKind.Number } number && number.TryGetDouble(out var value) && value > 0 && value < limit
            ? TimeSpan.FromSeconds(value)
            : null;

    public bool IsFinished => Status is Completed or Failed or Cancelled;

    /// <summary>
    /// The verified person's asset group, wherever this xcompute build puts it: <c>group_id</c> or <c>GroupId</c>
    /// in <c>data</c>, in <c>data.result</c>, or in the upstream <c>raw_response.Result</c>.
    /// </summary>
    public static string? FindGroupId(JsonElement data)
    {
        var result = data.Find("result");
        JsonElement?[] places =
        [
            data,
            result,
            data.Find("raw_response"),
            data.Find("raw_response")?.Find("Result"),
            result?.Find("raw_response"),
            result?.Find("raw_response")?.Find("Result"),
            result?.Find("Result"),
        ];

        foreach (var place in places)
        {
            if (place?.String("group_id", "GroupId") is { } groupId)
            {
                return groupId;
            }
        }

        return null;
    }
}
