using System.Globalization;

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
            var text = await http.GetStringAsync(new Uri(worker, "/metrics"));
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var nameEnd = line.IndexOfAny(['{', ' ']);
                var valueStart = line.LastIndexOf(' ');
                if (nameEnd <= 0 || !double.TryParse(line[(valueStart + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                var name = line[..nameEnd];
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }
}
