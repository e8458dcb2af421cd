using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>A cancelled video job leaves no ffmpeg behind and no output; its committed segments stay for the resume.</summary>
[Collection(FfmpegChildrenCollection.Name)]
public sealed class CancellationTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    /// <summary>Identity maths, but each batch after the first <c>free</c> ones waits at a gate the test opens (an engine batch is never cut short).</summary>
    private sealed class StallingEngine(int free) : IEngineSet
    {
        private readonly IdentityEngine _inner = new(tile: 16, maxBatch: 1);
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public SemaphoreSlim Gate { get; } = new(0);
        public ModelGeometry Geometry => _inner.Geometry;
        public int MaxBatch => 1;
        public string EngineName => _inner.EngineName;
        public string Precision => _inner.Precision;
        public string Device => _inner.Device;

        public async ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) > free) await Gate.WaitAsync(ct);
            await _inner.EncodeAsync(image, latent, batch, ct);
        }

        public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct) =>
            _inner.DenoiseAsync(xScaled, t, lq, x0, batch, ct);

        public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct) => _inner.DecodeAsync(latent, image, batch, ct);

        public void Dispose() { }
    }

    private static int[] FfmpegChildren() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _))
            .Where(pid =>
            {
                try
                {
                    string status = File.ReadAllText($"/proc/{pid}/status");
                    return status.Contains("Name:\tffmpeg") && status.Contains($"PPid:\t{Environment.ProcessId}\n");
                }
                catch (IOException)
                {
                    return false;
                }
            }).Select(int.Parse!).ToArray();

    [Fact]
    public async Task Cancelling_mid_video_kills_its_ffmpeg_children_and_keeps_committed_segments()
    {
        // 500 frames: more raw video than the pipe and the frame window hold, so the decoder is alive (blocked on
        // its pipe) when the engine stalls, whichever frames the pipeline happens to finish first.
        string input = await _f.CfrAsync("clip.mkv", size: "16x16", seconds: 20);
        string output = _f.PathOf("out/clip.mkv");
        var engines = new StallingEngine(free: 5);
        await using var pipeline = new RestorePipeline(engines, new DiffusionSchedule(VideoRun.Schedule), new PipelineOptions { MaxBatch = 1, Overlap = 4 });
        var job = new VideoRestoreJob(input, output, "clip.mkv", new VideoJobOptions { SegmentFrames = 2 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task<VideoResult> run = job.RunAsync(pipeline, engines.EngineName, engines.Precision, cts.Token);

        string spool = Path.Combine(_f.PathOf("out"), ".clip.mkv.resshift-segments");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(spool, "segment-00001.json")) || engines.Calls <= 5 || FfmpegChildren().Length < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "segment 1 never committed with the engine stalled and an ffmpeg child running: spool "
                + string.Join(", ", Directory.Exists(spool) ? Directory.EnumerateFiles(spool).Select(Path.GetFileName) : []) + $"; ffmpeg children {FfmpegChildren().Length}; engine calls {engines.Calls}; job {run.Status} {run.Exception?.GetBaseException().Message}");
            await Task.Delay(20);
        }
        cts.Cancel();
        engines.Gate.Release(1000); // the batch in flight ends; the cancelled job's other frames are dropped
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        deadline = DateTime.UtcNow.AddSeconds(10);
        while (FfmpegChildren().Length > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Empty(FfmpegChildren());
        Assert.False(File.Exists(output));
        Assert.True(File.Exists(Path.Combine(spool, "segment-00000.mkv")) && File.Exists(Path.Combine(spool, "segment-00001.mkv")));
    }
}

/// <summary>
/// Alone, not beside other tests: the cancellation test counts this test process's ffmpeg children, and another
/// video test running at the same time in the same process has ffmpeg children of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FfmpegChildrenCollection
{
    public const string Name = "ffmpeg children of this process";
}
