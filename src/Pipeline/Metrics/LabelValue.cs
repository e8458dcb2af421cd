namespace ResShift.Pipeline.Metrics;

/// <summary>Never a path as a label value: paths are unbounded (a series each) and may be private.</summary>
public static class LabelValue
{
    /// <summary>What a label value that looks like a file system path is exported as.</summary>
    public const string RedactedPath = "redacted_path";

    /// <summary>Any '/' (POSIX paths, URLs), or a Windows drive/UNC prefix. A lone backslash is ordinary text.</summary>
    public static bool LooksLikePath(string value) =>
        value.Contains('/')
        || value.StartsWith(@"\\", StringComparison.Ordinal)
        || (value.Length >= 3 && char.IsAsciiLetter(value[0]) && value[1] == ':' && value[2] == '\\');

    /// <summary>The value to export: itself, or <see cref="RedactedPath"/>.</summary>
    public static string Safe(string value) => LooksLikePath(value) ? RedactedPath : value;

    /// <summary>Tag values as text (strings as they are: no allocation on the recording path).</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
