using System.Diagnostics;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.IntegrationTests;

/// <summary>What ops and their tools see: Prometheus metrics, one trace per flow. (Health endpoints: <see cref="OutageTests"/>.)</summary>
[Collection(ThirdAvatarCollection.Name)]
public sealed class OperabilityTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public Task Metrics_count_the_flows_that_ran() => Fixture.WithWorkerAsync(new Dictionary<string, string>(), async worker =>
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var metrics = new Uri(worker.BaseAddress, "/metrics");
        var before = await ScrapeAsync(metrics);

        // The backlog gauges exist before any work, and so do the worker's counters once a flow has run.
        Assert.Contains(before.Keys, k => k.StartsWith("avatar_rows{", StringComparison.Ordinal) && k.Contains("state=\"InReview\""));
        Assert.Contains(before.Keys, k => k.StartsWith("avatar_backlog_age_seconds{", StringComparison.Ordinal));

        var groupId = await MintGroupAsync();
        var approved = new[] { Submission(groupId, "front"), Submission(groupId, "smile") };
        var rejected = Submission(groupId, "front", "side-reject");
        foreach (var command in approved.Append(rejected))
        {
            await Fixture.Publish(command);
        }

        foreach (var command in approved)
        {
            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        }

        await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == rejected.SubmissionId);
        var after = await ScrapeAsync(metrics);

        Assert.Equal(2, Delta(before, after, "avatar_outcomes_total", "event=\"AvatarAssetsApproved\""));
        Assert.Equal(1, Delta(before, after, "avatar_outcomes_total", "event=\"AvatarAssetsRejected\"", "error_code=\"task_failed\""));
        Assert.Equal(3, Delta(before, after, "avatar_xcompute_requests_total", "operation=\"submit-assets\"", "status=\"200\""));
        Assert.Equal(3, Delta(before, after, "avatar_review_duration_seconds_count"));
        Assert.True(Delta(before, after, "avatar_polls_total", "table=\"submissions\"", "result=\"ended\"") >= 3);
    });

    [Fact]
    public async Task Two_workers_in_one_process_each_report_their_own_series_only()
    {
        await using var other = await Fixture.StartWorkerAsync();
        other.Services.GetRequiredService<AvatarMetrics>().Polled("submissions", "counted-by-the-other-worker");
        const string series = "avatar_polls_total{";

        await WaitUntil(async () => (await ScrapeAsync(new Uri(other.BaseAddress, "/metrics"))).Keys.Any(k => k.StartsWith(series, StringComparison.Ordinal) && k.Contains("counted-by-the-other-worker", StringComparison.Ordinal)));
        Assert.DoesNotContain(
            (await ScrapeAsync(new Uri(Fixture.Worker!.BaseAddress, "/metrics"))).Keys,
            k => k.Contains("counted-by-the-other-worker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_submission_is_one_trace_from_its_command_to_its_outcome()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("Avatar.IntegrationTests");
        var command = Submission(await MintGroupAsync(), "front");

        string traceId;
        using (var caller = source.StartActivity("caller submits", ActivityKind.Producer))
        {
            traceId = caller!.TraceId.ToString();
            await Fixture.Publish(command);
        }

        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);

        // The outcome left from a poll, sent by the dispatcher long after the command's consumer had finished.
        Assert.True((await Simulator.StatsAsync()).Polls.Values.Sum(p => p.Count) >= 1);
        Assert.Equal(traceId, Events.TraceParentOf(approved)?.Split('-')[1]);
    }

    [Fact]
    public Task A_real_prometheus_finds_every_instance_in_its_targets_file_and_scrapes_the_avatar_series() => Fixture.WithWorkerAsync(new Dictionary<string, string>(), async instance =>
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        await using var second = await Fixture.StartWorkerAsync();
        var command = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(command);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        var expected = Delta([], await ScrapeAsync(new Uri(instance.BaseAddress, "/metrics")), "avatar_outcomes_total", "event=\"AvatarAssetsApproved\"")
            + Delta([], await ScrapeAsync(new Uri(second.BaseAddress, "/metrics")), "avatar_outcomes_total", "event=\"AvatarAssetsApproved\"");
        Assert.Equal(1, expected);

        // Debian's Prometheus server (./test.sh installs it) on deploy/prometheus/prometheus-file-sd.yml, both instances in its targets file.
        await using var prometheus = await PrometheusServer.StartAsync(instance.BaseAddress, second.BaseAddress);

        await WaitUntil(async () => (await prometheus.QueryAsync("count(up{job=\"avatar-worker\"} == 1)")).Contains("\"2\"", StringComparison.Ordinal), seconds: 30);
        string? answer = null;
        await WaitUntil(async () =>
        {
            answer = await prometheus.QueryAsync("sum(avatar_outcomes_total{event=\"AvatarAssetsApproved\"})");
            return answer.Contains("\"1\"", StringComparison.Ordinal);
        }, seconds: 30);
        Assert.Contains("\"status\":\"success\"", answer);
        var backlog = await prometheus.QueryAsync("count by (instance) (avatar_backlog_age_seconds{table=\"submissions\"})");
        Assert.Contains(instance.BaseAddress.Authority, backlog);
        Assert.Contains(second.BaseAddress.Authority, backlog);
    });

    /// <summary>Each series on the worker's <c>/metrics</c> and its value.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(Uri metrics) =>
        PrometheusText.Samples(await Http.GetStringAsync(metrics))
            .GroupBy(s => s.Series)
            .ToDictionary(g => g.Key, g => g.First().Value);

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name, params string[] labels)
    {
        double Sum(Dictionary<string, double> samples) => samples
            .Where(s => (s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)) && labels.All(l => s.Key.Contains(l, StringComparison.Ordinal)))
            .Sum(s => s.Value);
        return Sum(after) - Sum(before);
    }

}
