using System.Text.Json;
using ResShift.Daemon.Cli;

namespace ResShift.Daemon.Tests.Cli;

/// <summary><c>resshift bench</c> on the bundled tiny model through the real ONNX Runtime: the report's shape, not its speed.</summary>
public class BenchCommandTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRun.Run(args);

    private static readonly string[] Stages = ["preprocess", "encode_latent", "denoise", "decode_latent"];

    [Fact]
    public async Task EngineOnlyJsonReportsWarmupTilesAndEveryStage()
    {
        var (code, stdout, stderr) = await Run("bench", "--model", "tiny-x4", "--engine", "cpu", "--threads", "1", "--batch", "2",
            "--batches", "2", "--warmup", "0", "--engine-only", "--json", "--models-dir", Restore.Repo.Engines);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("onnxruntime-cpu", r.GetProperty("engine").GetString());
        Assert.Equal(0, r.GetProperty("warmup_batches").GetInt32());
        Assert.Equal(2, r.GetProperty("batch").GetInt32());
        var f = Assert.Single(r.GetProperty("figures").EnumerateArray());
        Assert.Equal("engine_only", f.GetProperty("name").GetString());
        Assert.Equal(4, f.GetProperty("tiles").GetInt32());
        var stages = f.GetProperty("stage_ms_per_tile");
        // The stages, and one derived figure beside them: the denoise time per denoiser call (4 calls for tiny-x4's schedule).
        Assert.Equal(["preprocess", "encode_latent", "denoise", "denoise_per_call", "decode_latent"], stages.EnumerateObject().Select(p => p.Name));
        Assert.Equal(stages.GetProperty("denoise").GetDouble() / 4, stages.GetProperty("denoise_per_call").GetDouble(), 1e-2);
        Assert.All(Stages.Skip(1), s => Assert.True(stages.GetProperty(s).GetDouble() > 0, s));
        // the stages are parts of the measured time
        double msPerTile = 1000 * f.GetProperty("seconds").GetDouble() / 4;
        Assert.True(Stages.Sum(s => stages.GetProperty(s).GetDouble()) <= msPerTile * 1.01);
        Assert.True(f.GetProperty("tiles_per_s").GetDouble() > 0);
    }

    [Fact]
    public async Task FullReportHasThePipelineAndNullEngineFigures()
    {
        var (code, stdout, stderr) = await Run("bench", "--model", "tiny-x4", "--engine", "cpu", "--threads", "1", "--batch", "1",
            "--batches", "1", "--json", "--models-dir", Restore.Repo.Engines);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal(2, r.GetProperty("warmup_batches").GetInt32()); // the default
        Assert.Equal(["engine_only", "pipeline", "null_engine_pipeline"],
            r.GetProperty("figures").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.True(r.GetProperty("pipeline_overhead_fraction").GetDouble() > 0);
    }

    [Fact]
    public async Task NegativeWarmupIsRefused()
    {
        var (code, _, stderr) = await Run("bench", "--model", "tiny-x4", "--engine", "cpu", "--warmup", "-1", "--engine-only",
            "--models-dir", Restore.Repo.Engines);
        Assert.NotEqual(0, code);
        Assert.Contains("--warmup", stderr);
    }
}
