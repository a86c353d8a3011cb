using Avatar.Testing;

namespace Avatar.Benchmarks;

/// <summary>Series read from the workers' own <c>/metrics</c> (OpenTelemetry's Prometheus exporter), summed over labels and workers.</summary>
public static class MetricsScrape
{
    public static async Task<Dictionary<string, double>> SumAsync(IEnumerable<Uri> workers)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var sums = new Dictionary<string, double>();
        foreach (var worker in workers)
        {
            foreach (var sample in PrometheusText.Samples(await http.GetStringAsync(new Uri(worker, "/metrics"))))
            {
                sums[sample.Name] = sums.GetValueOrDefault(sample.Name) + sample.Value;
            }
        }

        return sums;
    }
}
