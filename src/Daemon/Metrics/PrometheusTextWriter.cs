using System.Text;

namespace ResShift.Daemon.Metrics;

/// <summary>Appends families and samples in exposition format 0.0.4. Label sets arrive pre-rendered (see <see cref="SeriesKey"/>).</summary>
internal sealed class PrometheusTextWriter
{
    private readonly StringBuilder _sb;

    public PrometheusTextWriter(StringBuilder? sb = null) => _sb = sb ?? new StringBuilder(4096);

    public void Family(string name, string type, string? help)
    {
        if (!string.IsNullOrEmpty(help)) _sb.Append("# HELP ").Append(name).Append(' ').Append(PrometheusText.EscapeHelp(help)).Append('\n');
        _sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    public void Sample(string name, string labels, double value)
    {
        _sb.Append(name);
        if (labels.Length > 0) _sb.Append('{').Append(labels).Append('}');
        _sb.Append(' ').Append(PrometheusText.FormatValue(value)).Append('\n');
    }

    /// <summary>A sample with one more label after the series' own (histogram <c>le</c>, process <c>generation</c>).</summary>
    public void Sample(string name, string labels, string extraName, string extraValue, double value)
    {
        _sb.Append(name).Append('{');
        if (labels.Length > 0) _sb.Append(labels).Append(',');
        _sb.Append(extraName).Append("=\"").Append(PrometheusText.EscapeLabelValue(extraValue)).Append("\"} ")
           .Append(PrometheusText.FormatValue(value)).Append('\n');
    }

    public override string ToString() => _sb.ToString();
}

/// <summary>A source of whole metric families for one scrape.</summary>
internal interface IMetricsCollector
{
    void Collect(PrometheusTextWriter writer);
}
