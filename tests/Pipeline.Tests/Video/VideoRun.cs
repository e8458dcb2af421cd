using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Runs one video job on a real RestorePipeline over a given engine set.</summary>
internal static class VideoRun
{
    public static readonly ScheduleParameters Schedule = new(4, 2.0, 0.2, 0.99, 0.3);

    public static async Task<VideoResult> RunAsync(IEngineSet engines, string input, string output, VideoJobOptions? options = null,
        int maxBatch = 4, int overlap = 4, CancellationToken cancellationToken = default)
    {
        var pipelineOptions = new PipelineOptions { MaxBatch = maxBatch, Overlap = overlap, NoiseScale = 1.0, Seed = 0 };
        await using var pipeline = new RestorePipeline(engines, new DiffusionSchedule(Schedule), pipelineOptions);
        var job = new VideoRestoreJob(input, output, Path.GetFileName(input), options ?? VideoJobOptions.Default);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        return await job.RunAsync(pipeline, engines.EngineName, engines.Precision, timeout.Token);
    }

    /// <summary>The bundled tiny-x4 model (random weights) on ONNX Runtime, 2 threads.</summary>
    public static (IEngineSet Engines, ModelManifest Manifest) TinyX4(int maxBatch = 4)
    {
        ModelManifest m = new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines")).Get("tiny-x4");
        IEngineSet engines = new OnnxRuntimeEngineSet(m.PathOf("encoder"), m.PathOf("denoiser"), m.PathOf("decoder"), m.Geometry, maxBatch,
            new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { IntraOpThreads = 2 } });
        return (engines, m);
    }
}
