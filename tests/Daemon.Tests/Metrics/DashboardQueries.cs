using System.Text.Json;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>The PromQL the operators' files hold: deploy/grafana/resshift.json's panels and deploy/prometheus's rules.</summary>
internal static class DashboardQueries
{
    public static string Deploy(params string[] parts) => Path.Combine([Repo.Root(), "deploy", .. parts]);

    /// <summary>Every PromQL expression in the dashboard's panels (targets, at any depth).</summary>
    public static List<string> DashboardExpressions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Deploy("grafana", "resshift.json")));
        var exprs = new List<string>();
        Walk(doc.RootElement.GetProperty("panels"), exprs);
        Assert.True(exprs.Count >= 15, $"only {exprs.Count} expressions found in the dashboard");
        return exprs;
    }

    /// <summary>Metric names used by the dashboard and the alerting/recording rules.</summary>
    public static List<string> UsedMetricNames() =>
        DashboardExpressions().Append(File.ReadAllText(Deploy("prometheus", "resshift.rules.yml")))
            .SelectMany(Scrape.MetricNames).Distinct().ToList();

    private static void Walk(JsonElement e, List<string> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "expr" && p.Value.ValueKind == JsonValueKind.String) into.Add(p.Value.GetString()!);
                else Walk(p.Value, into);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray()) Walk(x, into);
        }
    }
}
