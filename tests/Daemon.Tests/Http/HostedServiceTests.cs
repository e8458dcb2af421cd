using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ResShift.Daemon.Http;
using ResShift.Daemon.Metrics;
using ResShift.Daemon.Status;

namespace ResShift.Daemon.Tests.Http;

/// <summary>The way the daemon host wires the endpoint: AddResShiftHttpEndpoint on a Generic Host.</summary>
public sealed class HostedServiceTests
{
    [Fact]
    public async Task Generic_host_starts_and_stops_the_endpoint()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Services.AddSingleton<IServiceStatus>(new FakeServiceStatus { Reason = null });
        builder.Services.AddResShiftHttpEndpoint("127.0.0.1:0", o => o.Version = "9.9.9");
        using var host = builder.Build();
        await host.StartAsync();

        var service = host.Services.GetRequiredService<HttpEndpointService>();
        Uri address = service.Address!;
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        host.Services.GetRequiredService<PrometheusExporter>().Engines.Register("tiny-x4", "onnxruntime", "fp32", "cpu");
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("resshift_build_info{version=\"9.9.9\"} 1", metrics);
        Assert.Contains("resshift_engine_info{", metrics);

        await host.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/healthz"));
    }
}
