using System.Text.Json;
using Avatar.Worker.XCompute;

namespace Avatar.Worker.Tests;

public sealed class TaskSnapshotTests
{
    [Theory]
    [InlineData("""{"group_id":"g-1"}""")]
    [InlineData("""{"GroupId":"g-1"}""")]
    [InlineData("""{"id":"task_1","status":"completed","result":{"group_id":"g-1"}}""")]
    [InlineData("""{"id":"task_1","status":"completed","result":{"GroupId":"g-1"}}""")]
    [InlineData("""{"id":"task_1","status":"completed","result":{"raw_response":{"Result":{"GroupId":"g-1"}}}}""")]
    [InlineData("""{"raw_response":{"Result":{"GroupId":"g-1"}}}""")]
    public void Group_id_is_found_wherever_step_2_puts_it(string data) =>
        Assert.Equal("g-1", TaskSnapshot.FindGroupId(Parse(data)));

    [Theory]
    [InlineData("""{"id":"task_1","status":"processing"}""")]
    [InlineData("""{"id":"task_1","status":"completed","result":{"raw_response":{}}}""")]
    [InlineData("""{"group_id":""}""")]
    public void No_group_id_is_reported_when_there_is_none(string data) =>
        Assert.Null(TaskSnapshot.FindGroupId(Parse(data)));

    [Fact]
    public void Failed_task_keeps_its_result_and_error()
    {
        var snapshot = TaskSnapshot.From(Parse("""
            {"id":"task_1","status":"FAILED","progress":100,"result":{"usable_assets":[]},"error":{"code":"task_failed","message":"部分素材审核失败"}}
            """));

        Assert.Equal("task_1", snapshot.Id);
        Assert.Equal(TaskSnapshot.Failed, snapshot.Status);
        Assert.Equal(100, snapshot.Progress);
        Assert.NotNull(snapshot.Result);
        Assert.Equal("task_failed", snapshot.ErrorCode);
        Assert.Equal("部分素材审核失败", snapshot.ErrorMessage);
        Assert.True(snapshot.IsFinished);
    }

    [Fact]
    public void Unknown_status_is_not_finished()
    {
        var snapshot = TaskSnapshot.From(Parse("""{"id":"task_1","status":"queued"}"""));

        Assert.Equal("queued", snapshot.Status);
        Assert.False(snapshot.IsFinished);
    }

    [Theory]
    [InlineData("""{"status":"completed","actual_time":23,"created":1764000000,"completed":1764000030}""", 23.0)] // its own account first
    [InlineData("""{"status":"completed","created":1764000000,"completed":1764000030}""", 30.0)]
    [InlineData("""{"status":"completed","created":1764000000}""", null)]
    [InlineData("""{"status":"completed","actual_time":0}""", null)]
    public void How_long_an_ended_task_ran_is_its_actual_time_else_completed_minus_created(string data, double? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, TaskSnapshot.From(Parse(data)).ActualTime);

    internal static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
