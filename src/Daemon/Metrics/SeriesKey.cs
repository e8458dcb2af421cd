using System.Globalization;
using System.Text;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// The label set of one series: names sorted ordinally, values as strings, rendered once as
/// <c>a="x",b="y"</c> (no braces, so histograms can append <c>le</c>).
/// </summary>
internal sealed class SeriesKey
{
    /// <summary>Label values that look like file system paths are replaced by this (paths are unbounded and may be private).</summary>
    public const string RedactedPath = "redacted_path";

    public static readonly SeriesKey Empty = new([], []);

    private SeriesKey(string[] names, string[] values)
    {
        Names = names;
        Values = values;
        int h = 0;
        for (int i = 0; i < names.Length; i++) h = unchecked(h + PairHash(names[i], values[i]));
        Hash = h;
        Rendered = Render(names, values);
    }

    public string[] Names { get; }
    public string[] Values { get; }
    public int Hash { get; }
    public string Rendered { get; }

    public static SeriesKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty) return Empty;
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in tags) pairs[PrometheusText.SanitizeLabelName(t.Key)] = Guard(ValueText(t.Value));
        return new SeriesKey([.. pairs.Keys], [.. pairs.Values]);
    }

    public static SeriesKey From(params (string Name, string Value)[] labels)
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (n, v) in labels) pairs[PrometheusText.SanitizeLabelName(n)] = Guard(v);
        return pairs.Count == 0 ? Empty : new SeriesKey([.. pairs.Keys], [.. pairs.Values]);
    }

    /// <summary>Order-independent, so a tag span in any order hashes like the sorted key.</summary>
    public static int PairHash(string name, string value) => HashCode.Combine(name.GetHashCode(), value.GetHashCode());

    public static string ValueText(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Any '/' (POSIX paths, URLs), or a Windows drive/UNC prefix. A lone backslash is ordinary text.</summary>
    public static bool LooksLikePath(string value) =>
        value.Contains('/')
        || value.StartsWith(@"\\", StringComparison.Ordinal)
        || (value.Length >= 3 && char.IsAsciiLetter(value[0]) && value[1] == ':' && value[2] == '\\');

    private static string Guard(string value) => LooksLikePath(value) ? RedactedPath : value;

    private static string Render(string[] names, string[] values)
    {
        if (names.Length == 0) return "";
        var sb = new StringBuilder();
        for (int i = 0; i < names.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(names[i]).Append("=\"").Append(PrometheusText.EscapeLabelValue(values[i])).Append('"');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Lets a family find its series straight from the instrument's tag span (no allocation on a hit);
/// a miss (new series, or tags that need sanitising) falls back to building a <see cref="SeriesKey"/>.
/// </summary>
internal sealed class SeriesKeyComparer :
    IEqualityComparer<SeriesKey>,
    IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, SeriesKey>
{
    public static readonly SeriesKeyComparer Instance = new();

    public bool Equals(SeriesKey? x, SeriesKey? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null || x.Hash != y.Hash || x.Names.Length != y.Names.Length) return false;
        return x.Names.AsSpan().SequenceEqual(y.Names) && x.Values.AsSpan().SequenceEqual(y.Values);
    }

    public int GetHashCode(SeriesKey key) => key.Hash;

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> tags, SeriesKey key)
    {
        if (tags.Length != key.Names.Length || tags.Length > 64) return false;
        ulong seen = 0; // a repeated tag name must not match two different labels
        foreach (var t in tags)
        {
            int i = Array.IndexOf(key.Names, t.Key);
            if (i < 0 || (seen & (1UL << i)) != 0) return false;
            if (!string.Equals(key.Values[i], SeriesKey.ValueText(t.Value), StringComparison.Ordinal)) return false;
            seen |= 1UL << i;
        }
        return true;
    }

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        int h = 0;
        foreach (var t in tags) h = unchecked(h + SeriesKey.PairHash(t.Key, SeriesKey.ValueText(t.Value)));
        return h;
    }

    public SeriesKey Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) => SeriesKey.From(tags);
}
