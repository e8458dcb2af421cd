using System.Globalization;
using System.Text.RegularExpressions;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>A parsed scrape, enough for assertions: family types and sample values by their full series text.</summary>
internal sealed partial class Scrape
{
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

    public static Scrape Parse(string text)
    {
        var s = new Scrape();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                s.Types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                int space = line.LastIndexOf(' ');
                s.Samples[line[..space]] = ParseValue(line[(space + 1)..]);
            }
        }
        return s;
    }

    /// <summary>The family a name belongs to: histogram series suffixes map to their histogram.</summary>
    public string? FamilyOf(string name)
    {
        if (Types.ContainsKey(name)) return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(name[..^suffix.Length], out var t) && t == "histogram")
                return name[..^suffix.Length];
        return null;
    }

    public static IEnumerable<string> MetricNames(string promql) =>
        NameRegex().Matches(promql).Select(m => m.Value).Distinct();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:$])(?:resshift|process|dotnet)_[a-z0-9_]+")]
    private static partial Regex NameRegex();

    private static double ParseValue(string v) => v switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(v, CultureInfo.InvariantCulture),
    };
}
