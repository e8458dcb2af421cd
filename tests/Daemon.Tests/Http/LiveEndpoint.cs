using ResShift.Daemon.Http;
using ResShift.Daemon.Metrics;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Tests.Http;

/// <summary>
/// The real HTTP endpoint on 127.0.0.1 (a free port), with every metric family recorded at least once through
/// PipelineMetrics. Jobs use source="promtest" so assertions are unaffected by other tests' pipelines.
/// </summary>
public sealed class LiveEndpoint : IAsyncLifetime
{
    public const string Source = "promtest";
    public const int OkJobs = 3;

    internal FakeServiceStatus Status { get; } = new();
    public PrometheusExporter Exporter { get; } = new(new PrometheusExporterOptions { Version = "0.1.0-test" });
    public HttpEndpoint Endpoint { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Endpoint = await HttpEndpoint.StartAsync("127.0.0.1:0", Status, Exporter);
        Client = new HttpClient { BaseAddress = Endpoint.Address, Timeout = TimeSpan.FromSeconds(10) };
        Exporter.Engines.Register("tiny-x4", "onnxruntime", "fp32", "cpu");

        for (int i = 0; i < OkJobs; i++) PipelineMetrics.Jobs.Add(1, new("source", Source), new("result", "ok"));
        PipelineMetrics.Jobs.Add(1, new("source", Source), new("result", "failed"));
        PipelineMetrics.JobDuration.Record(12.5);
        foreach (var stage in new[] { "decode", "preprocess", "encode_latent", "denoise", "decode_latent", "postprocess", "write" })
            PipelineMetrics.StageDuration.Record(0.05, new KeyValuePair<string, object?>("stage", stage));
        PipelineMetrics.Tiles.Add(16);
        PipelineMetrics.OutputPixels.Add(256 * 256 * 16);
        PipelineMetrics.BatchSize.Record(8);
        ResShift.Pipeline.Fidelity.FidelityMetrics.PsnrDb.Record(31.5, new KeyValuePair<string, object?>("model", "tiny-x4"));
        ResShift.Pipeline.Fidelity.FidelityMetrics.Ssim.Record(0.87, new KeyValuePair<string, object?>("model", "tiny-x4"));
        ResShift.Pipeline.Fidelity.FidelityMetrics.Rejected.Add(1, new("model", "tiny-x4"), new("defect", "non_finite"));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Endpoint.DisposeAsync();
        Exporter.Dispose();
    }

    public string HostPort => $"{Endpoint.Address.Host}:{Endpoint.Address.Port}";
}

[CollectionDefinition(Name)]
public sealed class LiveEndpointCollection : ICollectionFixture<LiveEndpoint>
{
    public const string Name = "live-endpoint";
}
