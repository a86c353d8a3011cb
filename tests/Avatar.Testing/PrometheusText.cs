using System.Globalization;
using System.Text.RegularExpressions;

namespace Avatar.Testing;

/// <summary>Prometheus's text format, as a worker's <c>/metrics</c> serves it: one sample a line, <c>name{labels} value</c>.</summary>
public static partial class PrometheusText
{
    /// <summary>One sample: its series (name and labels, as written), its metric name, and its value.</summary>
    public readonly record struct Sample(string Series, string Name, double Value);

    /// <summary>Every sample of <paramref name="text"/>; comments and lines whose value is not a number are skipped.</summary>
    public static IEnumerable<Sample> Samples(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && line[0] != '#' && Line().Match(line) is { Success: true } match
                && double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                yield return new Sample(match.Groups["series"].Value, match.Groups["name"].Value, value);
            }
        }
    }

    [GeneratedRegex(@"^(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?) (?<value>[^ ]+)")]
    private static partial Regex Line();
}
