using System.Globalization;
using System.Text;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>One metric family as a scrape shows it: what dashboards and alert rules depend on.</summary>
internal sealed record ExpositionFamily(string Name, string Type, string Help, SortedSet<string> Labels, List<double> Buckets);

/// <summary>Reads the families of a text exposition (format 0.0.4) and renders them as one stable, diffable line each.</summary>
internal static class ExpositionFamilies
{
    public static SortedDictionary<string, ExpositionFamily> Parse(string text)
    {
        var declared = new Dictionary<string, ExpositionFamily>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var withSamples = new SortedDictionary<string, ExpositionFamily>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                string rest = line["# HELP ".Length..];
                int sp = rest.IndexOf(' ');
                help[sp < 0 ? rest : rest[..sp]] = sp < 0 ? "" : rest[(sp + 1)..];
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                declared[parts[2]] = new ExpositionFamily(parts[2], parts[3], help.GetValueOrDefault(parts[2], ""), new(StringComparer.Ordinal), []);
                continue;
            }
            if (line.StartsWith('#')) continue;

            int brace = line.IndexOf('{');
            string series = brace >= 0 ? line[..brace] : line[..line.IndexOf(' ')];
            var family = FamilyOf(series, declared) ?? throw new FormatException($"sample without a # TYPE line: {line}");
            withSamples[family.Name] = family;
            var labels = Labels(line, brace);
            foreach (var (name, value) in labels)
            {
                if (name == "le" && family.Type == "histogram")
                {
                    double le = value == "+Inf" ? double.PositiveInfinity : double.Parse(value, CultureInfo.InvariantCulture);
                    if (!family.Buckets.Contains(le)) family.Buckets.Add(le);
                }
                else family.Labels.Add(name);
            }
        }
        foreach (var f in withSamples.Values) f.Buckets.Sort();
        return withSamples;
    }

    /// <summary>name type labels help [buckets], tab-separated, one family a line, sorted by name.</summary>
    public static string Render(SortedDictionary<string, ExpositionFamily> families)
    {
        var sb = new StringBuilder();
        foreach (var f in families.Values)
        {
            sb.Append(f.Name).Append('\t').Append(f.Type).Append('\t').Append('{').AppendJoin(',', f.Labels).Append('}').Append('\t').Append(f.Help);
            if (f.Type == "histogram")
                sb.Append("\tle=").AppendJoin(',', f.Buckets.Select(b => double.IsPositiveInfinity(b) ? "+Inf" : b.ToString("R", CultureInfo.InvariantCulture)));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var a = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return string.Join('\n', e.Except(a).Select(l => "- " + l).Concat(a.Except(e).Select(l => "+ " + l)));
    }

    private static ExpositionFamily? FamilyOf(string series, Dictionary<string, ExpositionFamily> declared)
    {
        if (declared.TryGetValue(series, out var f)) return f;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (series.EndsWith(suffix, StringComparison.Ordinal) && declared.TryGetValue(series[..^suffix.Length], out f) && f.Type == "histogram")
                return f;
        return null;
    }

    /// <summary>Label names and values of one sample line (values unescaped enough to compare le bounds).</summary>
    private static List<(string Name, string Value)> Labels(string line, int brace)
    {
        var result = new List<(string, string)>();
        if (brace < 0) return result;
        int i = brace + 1;
        while (i < line.Length && line[i] != '}')
        {
            int eq = line.IndexOf('=', i);
            string name = line[i..eq].Trim(',', ' ');
            int j = eq + 2; // past ="
            var value = new StringBuilder();
            while (line[j] != '"')
            {
                if (line[j] == '\\') j++;
                value.Append(line[j++]);
            }
            result.Add((name, value.ToString()));
            i = j + 1;
            if (i < line.Length && line[i] == ',') i++;
        }
        return result;
    }
}
