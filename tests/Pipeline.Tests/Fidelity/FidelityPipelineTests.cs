using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Imaging;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Fidelity;

/// <summary>The guard inside the real pipeline: figures on every report, and broken outputs never written.</summary>
public class FidelityPipelineTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
    private static readonly PipelineOptions Options = new() { Overlap = 2, MaxBatch = 4, Model = "fake-x4" };

    [Fact]
    public async Task EveryJobReportsTheFiguresOfItsWrittenOutput()
    {
        // A model name of its own: the metrics are process-wide and other tests' pipelines record into them too.
        const string model = "fidelity-metrics-test";
        await using var pipeline = new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { Overlap = 2, MaxBatch = 4, Model = model });
        var job = new MemoryJob("a", 21, 13, 7);
        JobReport report = await pipeline.RunAsync(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        FidelityReport f = Assert.IsType<FidelityReport>(report.Fidelity);
        Assert.Equal("area-x4/luma-bt601/ssim-gauss11", f.Method);
        Assert.True(report.StageSeconds.ContainsKey("fidelity"));
        // The same figures, measured independently on what the job was handed to write.
        using var reference = FidelityReference.Capture(job.Pixels(), 21, 13, 4, SampleRange.Signed);
        FidelityReport again = ConsistencyMeter.Measure(reference, job.Output!.Pixels, 84, 52, SampleRange.Unit);
        Assert.Equal(again.PsnrDb, f.PsnrDb, 3);
        Assert.Equal(again.Ssim, f.Ssim, 4);
        Assert.InRange(f.PsnrDb, 1, 99); // the fake model changes the picture: neither identical nor absent
        var psnr = FidelityMetrics.PsnrDb.Metric.WithLabels(model);
        var ssim = FidelityMetrics.Ssim.Metric.WithLabels(model);
        Assert.Equal((1, f.PsnrDb), (psnr.Count, psnr.Sum));
        Assert.Equal((1, f.Ssim), (ssim.Count, ssim.Sum));
    }

    [Fact]
    public async Task NanFromTheDecoderFailsTheJobAndWritesNoFile()
    {
        var engine = new FakeEngine { CorruptDecoded = image => image[image.Length / 2] = float.NaN };
        await using var pipeline = new RestorePipeline(engine, Schedule, Options);
        string dir = Directory.CreateTempSubdirectory("resshift-fidelity-").FullName;
        try
        {
            string output = Path.Combine(dir, "out", "aqua.png");
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var job = new FileRestoreJob(Fixtures.Path("photo-aqua.png"), output, "aqua.png", "test", 4, new ImageDecoder(), new ImageEncoder());
            var e = await Assert.ThrowsAsync<OutputRejectedException>(() => pipeline.RunAsync(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(OutputDefect.NonFinite, e.Defect);
            Assert.Contains("NaN", e.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(output)!));

            // The pipeline is still healthy: the next job (a sound engine would be used in practice) still runs to its end.
            engine.CorruptDecoded = null;
            var ok = new FileRestoreJob(Fixtures.Path("photo-aqua.png"), output, "aqua.png", "test", 4, new ImageDecoder(), new ImageEncoder());
            JobReport r = await pipeline.RunAsync(ok, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(r.Fidelity);
            Assert.True(File.Exists(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InfinityHiddenByTheClampStillFailsTheJob()
    {
        var engine = new FakeEngine { CorruptDecoded = image => image[3] = float.PositiveInfinity };
        await using var pipeline = new RestorePipeline(engine, Schedule, Options);
        var job = new MemoryJob("inf", 12, 9);
        var e = await Assert.ThrowsAsync<OutputRejectedException>(() => pipeline.RunAsync(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutputDefect.NonFinite, e.Defect);
        Assert.Null(job.Output);
    }

    [Fact]
    public async Task ConstantOutputFailsTheJob()
    {
        var engine = new FakeEngine { CorruptDecoded = image => image.Fill(0.25f) };
        await using var pipeline = new RestorePipeline(engine, Schedule, Options);
        var job = new MemoryJob("flat", 20, 11);
        var e = await Assert.ThrowsAsync<OutputRejectedException>(() => pipeline.RunAsync(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutputDefect.Constant, e.Defect);
        Assert.Contains("constant", e.Message);
        Assert.Null(job.Output);
    }
}
