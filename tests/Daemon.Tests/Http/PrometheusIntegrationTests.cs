using System.Globalization;
using System.Text.Json;
using ResShift.Daemon.Tests.Metrics;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.Http;

/// <summary>
/// The live endpoint against the real Prometheus tools: promtool's linter, a real server, the deploy files. That every
/// metric the dashboard uses is exported is checked on a real daemon (Metrics/DashboardCoverageTests), not here.
/// </summary>
[Collection(LiveEndpointCollection.Name)]
public sealed class PrometheusIntegrationTests(LiveEndpoint live)
{
    private static string Deploy(params string[] parts) => DashboardQueries.Deploy(parts);

    [Fact]
    public async Task Live_scrape_passes_promtool_check_metrics_without_warnings()
    {
        string body = await live.Client.GetStringAsync("/metrics");
        var r = await PromTools.RunAsync(PromTools.Promtool, ["check", "metrics"], stdin: body);
        Assert.True(r.ExitCode == 0 && r.All.Length == 0, $"promtool check metrics (exit {r.ExitCode}):\n{r.All}");
    }

    [Fact]
    public async Task Deploy_rules_config_and_rule_unit_tests_pass_promtool()
    {
        var rules = await PromTools.RunAsync(PromTools.Promtool, ["check", "rules", Deploy("prometheus", "resshift.rules.yml")]);
        Assert.True(rules.ExitCode == 0, $"promtool check rules:\n{rules.All}");
        var config = await PromTools.RunAsync(PromTools.Promtool, ["check", "config", Deploy("prometheus", "prometheus.yml")]);
        Assert.True(config.ExitCode == 0, $"promtool check config:\n{config.All}");
        // Alert logic: stuck, no jobs completing (also with no counter series yet), failure ratio, down, memory.
        var unit = await PromTools.RunAsync(PromTools.Promtool, ["test", "rules", Deploy("prometheus", "resshift.rules.test.yml")]);
        Assert.True(unit.ExitCode == 0, $"promtool test rules:\n{unit.All}");
    }

    [Fact]
    public async Task A_real_prometheus_scrapes_the_endpoint_and_runs_the_dashboard_queries()
    {
        await using var server = PrometheusServer.Start(live.HostPort);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        string query = $"resshift_jobs_total{{source=\"{LiveEndpoint.Source}\",result=\"ok\"}}";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "";
        while (true)
        {
            Assert.False(server.HasExited, $"prometheus exited early:\n{server.LogTail}");
            try
            {
                last = await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query));
                if (Value(last) is { } v)
                {
                    Assert.Equal(LiveEndpoint.OkJobs, v);
                    break;
                }
            }
            catch (HttpRequestException e) { last = e.Message; } // not listening yet
            catch (TaskCanceledException e) { last = e.Message; }
            Assert.True(DateTime.UtcNow < deadline, $"no sample for {query} within 60 s; last answer: {last}\nprometheus log:\n{server.LogTail}");
            await Task.Delay(250);
        }

        // Each dashboard panel query must be valid PromQL for this Prometheus (Grafana variables filled in).
        foreach (var expr in DashboardQueries.DashboardExpressions())
        {
            string q = expr.Replace("$__rate_interval", "1m").Replace("$job", ".+").Replace("$instance", ".+");
            string answer = await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(q));
            using var doc = JsonDocument.Parse(answer);
            Assert.True(doc.RootElement.GetProperty("status").GetString() == "success", $"{q}\n{answer}");
        }
    }

    /// <summary>The first sample's value of an instant-query answer, or null while there is none.</summary>
    private static double? Value(string answer)
    {
        using var doc = JsonDocument.Parse(answer);
        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0) return null;
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Dashboard_is_an_importable_grafana_dashboard()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Deploy("grafana", "resshift.json")));
        var root = doc.RootElement;
        Assert.Equal("DS_PROMETHEUS", root.GetProperty("__inputs")[0].GetProperty("name").GetString());
        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 36, 41);
        var ids = root.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var templ = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("definition").GetString()!);
        var scrapeNames = templ.SelectMany(Scrape.MetricNames);
        Assert.All(scrapeNames, n => Assert.Equal("resshift_build_info", n));
    }
}
