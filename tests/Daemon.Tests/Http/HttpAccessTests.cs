using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Http;
using ResShift.Daemon.Metrics;

namespace ResShift.Daemon.Tests.Http;

/// <summary>
/// The real endpoint (Kestrel on a free port) with a bearer token, on a non-loopback bind, and with request
/// logging off and on.
/// </summary>
public sealed class HttpAccessTests
{
    private const string Token = "0123456789abcdef-test-token";

    private static async Task<HttpEndpoint> Start(string address, HttpAccess access, ILoggerFactory? logs = null, FakeServiceStatus? status = null) =>
        await HttpEndpoint.StartAsync(address, status ?? new FakeServiceStatus(), new PrometheusExporter(new PrometheusExporterOptions { Version = "t" }),
            CancellationToken.None, logs, access);

    private static HttpRequestMessage Get(string path, string? token) =>
        new(HttpMethod.Get, path) { Headers = { Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token) } };

    [Fact]
    public async Task With_a_token_only_healthz_and_the_readyz_status_are_open()
    {
        var status = new FakeServiceStatus { Reason = "models loading" };
        await using HttpEndpoint endpoint = await Start("127.0.0.1:0", new HttpAccess(Token), status: status);
        using var http = new HttpClient { BaseAddress = endpoint.Address, Timeout = TimeSpan.FromSeconds(10) };

        foreach (string path in new[] { "/metrics", "/v1/status" })
        {
            using (var r = await http.SendAsync(Get(path, null)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                Assert.Equal("Bearer", r.Headers.WwwAuthenticate.ToString());
            }
            using (var r = await http.SendAsync(Get(path, "wrong-token-of-some-length")))
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            using (var r = await http.SendAsync(Get(path, Token)))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var r = await http.SendAsync(Get("/healthz", null))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await http.SendAsync(Get("/readyz", null)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Equal("not ready", (await r.Content.ReadAsStringAsync()).Trim());
        }
        using (var r = await http.SendAsync(Get("/readyz", Token)))
            Assert.Equal("not ready: models loading", (await r.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task A_non_loopback_bind_warns_and_a_loopback_one_does_not()
    {
        var logs = new RecordingLoggerFactory();
        await using (await Start("0.0.0.0:0", HttpAccess.Open, logs)) { }
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("reachable from other machines, with no token", warning.Message);
        Assert.Contains("0.0.0.0:0", warning.Message);

        var tokenLogs = new RecordingLoggerFactory();
        await using (await Start("0.0.0.0:0", new HttpAccess(Token), tokenLogs)) { }
        Assert.Contains(tokenLogs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("require the bearer token", StringComparison.Ordinal));

        var quiet = new RecordingLoggerFactory();
        await using (await Start("127.0.0.1:0", HttpAccess.Open, quiet)) { }
        Assert.DoesNotContain(quiet.Entries, e => e.Level >= LogLevel.Warning);
        Assert.True(ListenAddress.Parse("localhost:9464").IsLoopback);
        Assert.True(ListenAddress.Parse("[::1]:9464").IsLoopback);
        Assert.False(ListenAddress.Parse("*:9464").IsLoopback);
        Assert.False(ListenAddress.Parse("10.1.2.3:9464").IsLoopback);
    }

    [Fact]
    public async Task Requests_are_not_logged_unless_asked()
    {
        async Task<int> RequestLines(HttpAccess access)
        {
            var logs = new RecordingLoggerFactory();
            await using HttpEndpoint endpoint = await Start("127.0.0.1:0", access, logs);
            using var http = new HttpClient { BaseAddress = endpoint.Address, Timeout = TimeSpan.FromSeconds(10) };
            int before = logs.Entries.Count(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
            for (int i = 0; i < 3; i++) (await http.GetAsync("/metrics")).Dispose();
            return logs.Entries.Count(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)) - before;
        }
        Assert.Equal(0, await RequestLines(HttpAccess.Open));
        Assert.True(await RequestLines(new HttpAccess(LogRequests: true)) >= 3, "with LogRequests every request should be logged");
    }
}
