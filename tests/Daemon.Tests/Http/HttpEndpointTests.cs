using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ResShift.Daemon.Http;
using ResShift.Daemon.Metrics;

namespace ResShift.Daemon.Tests.Http;

[Collection(LiveEndpointCollection.Name)]
public sealed class HttpEndpointTests(LiveEndpoint live)
{
    [Fact]
    public async Task Metrics_is_prometheus_text_0_0_4()
    {
        using var r = await live.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.Content.Headers.ContentType!.ToString());
        string body = await r.Content.ReadAsStringAsync();
        Assert.Contains($"resshift_jobs_total{{result=\"ok\",source=\"{LiveEndpoint.Source}\"}} ", body);
        Assert.Contains("resshift_build_info{version=\"0.1.0-test\"} 1", body);
    }

    [Fact]
    public async Task Healthz_is_ok_while_the_process_runs()
    {
        using var r = await live.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("ok", (await r.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Readyz_follows_the_service_status()
    {
        live.Status.Reason = "models loading";
        using (var r = await live.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Contains("models loading", await r.Content.ReadAsStringAsync());
        }
        live.Status.Reason = null;
        try
        {
            using var r = await live.Client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        finally { live.Status.Reason = "models loading"; }
    }

    [Fact]
    public async Task Status_is_the_snapshot_with_snake_case_keys()
    {
        using var r = await live.Client.GetAsync("/v1/status");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var root = doc.RootElement;

        Assert.Equal(
            ["version", "ready", "not_ready_reason", "draining", "started_at", "queue_depths", "in_flight_jobs", "jobs_completed", "jobs_failed", "engines", "inputs", "bird", "videos"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0.1.0-test", root.GetProperty("version").GetString());
        Assert.False(root.GetProperty("ready").GetBoolean());
        Assert.Equal("models loading", root.GetProperty("not_ready_reason").GetString());
        Assert.Equal(FakeServiceStatus.Started, root.GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(17, root.GetProperty("queue_depths").GetProperty("tiles").GetInt64());
        Assert.Equal(2, root.GetProperty("in_flight_jobs").GetInt32());
        Assert.Equal(41, root.GetProperty("jobs_completed").GetInt64());
        var engine = root.GetProperty("engines")[0];
        Assert.Equal(["model", "engine", "precision", "device", "max_batch", "tile_size"], engine.EnumerateObject().Select(p => p.Name));
        Assert.Equal(8, engine.GetProperty("max_batch").GetInt32());
        Assert.Equal("folder", root.GetProperty("inputs")[0].GetString());
    }

    [Fact]
    public async Task Unknown_paths_are_404()
    {
        using var r = await live.Client.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }
}

public sealed class HttpEndpointStartTests
{
    [Fact]
    public async Task A_taken_port_gives_a_clear_error()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        int port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });

        var e = await Assert.ThrowsAsync<HttpEndpointException>(() => HttpEndpoint.StartAsync($"127.0.0.1:{port}", new FakeServiceStatus(), exporter));
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("already in use", e.Message);
    }

    [Fact]
    public async Task Stops_and_frees_the_port()
    {
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });
        var endpoint = await HttpEndpoint.StartAsync("127.0.0.1:0", new FakeServiceStatus(), exporter);
        int port = endpoint.Address.Port;
        Assert.NotEqual(0, port);
        await endpoint.DisposeAsync();
        using var again = new TcpListener(IPAddress.Loopback, port);
        again.Start(); // would throw if Kestrel still held it
    }

    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("http://0.0.0.0:80/", "0.0.0.0", 80)]
    [InlineData("[::1]:9464", "::1", 9464)]
    [InlineData(":9464", "*", 9464)]
    [InlineData("localhost:1", "localhost", 1)]
    public void Addresses_parse(string text, string host, int port) => Assert.Equal(new ListenAddress(host, port), ListenAddress.Parse(text));

    [Theory]
    [InlineData("9464")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("example.com:9464")]
    [InlineData("https://127.0.0.1:9464")]
    public async Task Bad_addresses_are_rejected(string text)
    {
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });
        var e = await Assert.ThrowsAsync<HttpEndpointException>(() => HttpEndpoint.StartAsync(text, new FakeServiceStatus(), exporter));
        Assert.Contains(text, e.Message);
    }
}
