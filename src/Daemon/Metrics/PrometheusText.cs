using System.Globalization;
using System.Text;

namespace ResShift.Daemon.Metrics;

/// <summary>Escaping, naming and number rules of the Prometheus text exposition format 0.0.4.</summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0) return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>HELP text escapes only backslash and line feed.</summary>
    public static string EscapeHelp(string help)
    {
        if (help.AsSpan().IndexOfAny('\\', '\n') < 0) return help;
        return help.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);
    }

    /// <summary>Shortest round-trip form; Prometheus spells infinities +Inf/-Inf and NaN as NaN.</summary>
    public static string FormatValue(double v)
    {
        if (double.IsPositiveInfinity(v)) return "+Inf";
        if (double.IsNegativeInfinity(v)) return "-Inf";
        if (double.IsNaN(v)) return "NaN";
        return v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Metric names allow [a-zA-Z_:][a-zA-Z0-9_:]*; anything else (dots from OTel-style names) becomes '_'.</summary>
    public static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Label names allow [a-zA-Z_][a-zA-Z0-9_]*.</summary>
    public static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0) return "_";
        bool ok = true;
        for (int i = 0; i < name.Length && ok; i++) ok = IsValid(name[i], i == 0, allowColon);
        if (ok) return name;
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (!IsValid(chars[i], i == 0, allowColon)) chars[i] = '_';
        return new string(chars);
    }

    private static bool IsValid(char c, bool first, bool allowColon) =>
        char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (!first && char.IsAsciiDigit(c));
}
