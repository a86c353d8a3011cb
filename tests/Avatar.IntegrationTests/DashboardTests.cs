using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Worker.Telemetry;

namespace Avatar.IntegrationTests;

/// <summary>
/// The Grafana dashboard (<c>deploy/grafana/avatar-worker.json</c>) and the alert rules (<c>deploy/prometheus/alerts.yml</c>):
/// every query parses (<c>promtool check rules</c>, each query made a recording rule) and names only series the worker
/// really exports, read from a running worker's <c>/metrics</c> after a flow, or declared by its own meter or Npgsql's
/// (a counter such as <c>avatar_broker_refused_total</c> or <c>db_client_operation_failed_total</c> shows only once
/// something was refused or failed).
/// </summary>
[Collection(ThirdAvatarCollection.Name)]
public sealed partial class DashboardTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    /// <summary>Series that come from elsewhere: Prometheus's own per target, and RabbitMQ's Prometheus plugin.</summary>
    private static readonly string[] NotTheWorkers = ["up", "rabbitmq_queue_messages"];

    [Fact]
    public async Task Every_query_of_the_dashboard_and_the_alerts_parses_and_names_only_series_the_worker_exports()
    {
        var queries = DashboardQueries().Concat(AlertQueries()).ToList();
        Assert.True(queries.Count > 20, $"only {queries.Count} queries found");

        // promtool parses each query as the expression of a recording rule.
        var rules = Path.Combine(Directory.CreateTempSubdirectory("avatar-dashboard-").FullName, "queries.yml");
        await File.WriteAllLinesAsync(rules, [
            "groups:", "  - name: dashboard-and-alerts", "    rules:",
            .. queries.SelectMany((q, i) => new[] { $"      - record: avatar_query_{i}", $"        expr: '{q.Expr.Replace("'", "''", StringComparison.Ordinal)}'" })]);
        var checkedRules = await Scripts.RunToolAsync("promtool", "check", "rules", rules);
        Assert.Contains($"SUCCESS: {queries.Count} rules found", checkedRules);

        // A flow, so that the worker's counters and histograms have series.
        var command = Submission(await MintGroupAsync(), "front", "side-reject");
        await Fixture.Publish(command);
        await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        using var http = new HttpClient();
        var exported = PrometheusText.Samples(await http.GetStringAsync(new Uri(Fixture.Worker!.BaseAddress, "/metrics"))).Select(s => s.Name).ToHashSet();
        var declared = DeclaredSeries();

        // The names the meter declares are the names /metrics shows, for every instrument that has series already.
        Assert.All(exported.Where(n => n.StartsWith("avatar_", StringComparison.Ordinal) || n.StartsWith("db_client_", StringComparison.Ordinal)), n => Assert.Contains(n, declared));

        var unknown = queries
            .SelectMany(q => MetricNames(q.Expr).Select(name => (q.Where, name)))
            .Where(x => !exported.Contains(x.name) && !declared.Contains(x.name) && !NotTheWorkers.Contains(x.name))
            .Select(x => $"{x.Where}: {x.name}")
            .ToList();
        Assert.True(unknown.Count == 0, $"series no worker exports: {string.Join("; ", unknown)}");
    }

    /// <summary>Every query of the dashboard's panels, Grafana's variables given values Prometheus takes.</summary>
    private static IEnumerable<(string Where, string Expr)> DashboardQueries()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "grafana", "avatar-worker.json")))!;
        foreach (var panel in dashboard["panels"]!.AsArray())
        {
            foreach (var target in panel!["targets"]?.AsArray() ?? [])
            {
                var expr = (string)target!["expr"]!;
                yield return ($"panel \"{panel["title"]}\"", expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$instance", ".*", StringComparison.Ordinal));
            }
        }
    }

    private static IEnumerable<(string Where, string Expr)> AlertQueries() =>
        File.ReadAllLines(Path.Combine(Repository.Root, "deploy", "prometheus", "alerts.yml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("expr:", StringComparison.Ordinal))
            .Select(l => ("alerts.yml", l["expr:".Length..].Trim()));

    /// <summary>
    /// The metric names a query uses: what remains once strings, label matchers, ranges and the label lists of
    /// <c>by</c>, <c>without</c>, <c>on</c> and <c>ignoring</c> are taken out, and functions and keywords are skipped.
    /// </summary>
    private static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Grouping().Replace(Ranges().Replace(Matchers().Replace(Strings().Replace(expr, ""), ""), ""), "");
        return Identifiers().Matches(bare)
            .Where(m => !m.Groups["call"].Success && !Keywords.Contains(m.Groups["name"].Value))
            .Select(m => m.Groups["name"].Value)
            .Distinct();
    }

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"];

    /// <summary>
    /// The Prometheus names of the instruments of the worker's own meter (<c>Avatar.Worker</c>) and Npgsql's, as
    /// OpenTelemetry's exporter names them.
    /// </summary>
    private static HashSet<string> DeclaredSeries()
    {
        var names = new HashSet<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is not (AvatarMetrics.MeterName or "Npgsql"))
                {
                    return;
                }

                var name = instrument.Name.Replace('.', '_') + (instrument.Unit switch { "s" => "_seconds", "ms" => "_milliseconds", "By" => "_bytes", "1" => "_ratio", _ => "" });
                var type = instrument.GetType().GetGenericTypeDefinition();
                if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
                {
                    names.Add(name + "_total");
                }
                else if (type == typeof(Histogram<>))
                {
                    names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                }
                else
                {
                    names.Add(name);
                }
            },
        };
        listener.Start();
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifiers();
}
