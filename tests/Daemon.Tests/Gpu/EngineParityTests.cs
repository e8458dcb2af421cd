using System.Text.Json;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Engines.Null;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Tests.Gpu;

/// <summary>
/// `resshift engines parity`, the libvips-free check the GPU run relies on: each network on the committed
/// verification tensors and each parity case restored from its raw tensor, on the real ONNX Runtime here.
/// </summary>
public class EngineParityTests
{
    [Fact]
    public async Task The_cpu_engine_passes_every_network_and_restores_the_parity_cases_above_60_dB()
    {
        string dir = Repo.TempDir();
        string json = Path.Combine(dir, "parity.json"), ppm = Path.Combine(dir, "ppm");
        var (code, stdout, stderr) = await CliRun.Run("engines", "parity", "--model", "tiny-x4", "--engine", "cpu", "--threads", "2",
            "--json", json, "--ppm", ppm, "--models-dir", Repo.Engines);
        Assert.True(code == 0, stdout + stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(["encoder", "denoiser", "decoder"], root.GetProperty("networks").EnumerateArray().Select(n => n.GetProperty("network").GetString()));
        foreach (var n in root.GetProperty("networks").EnumerateArray())
            Assert.True(n.GetProperty("max_abs_error").GetDouble() < 1e-3, n.ToString());
        var restores = root.GetProperty("restores").EnumerateArray().ToList();
        Assert.Equal(["full64", "crop37x50"], restores.Select(r => r.GetProperty("case").GetString()));
        Assert.All(restores, r => Assert.True(r.GetProperty("psnr_db").GetDouble() > 60, r.ToString()));
        // The restored image comes back as a PPM our own code wrote: P6, 256x256, 8-bit.
        byte[] image = File.ReadAllBytes(Path.Combine(ppm, "full64.ppm"));
        Assert.StartsWith("P6\n256 256\n255\n", System.Text.Encoding.ASCII.GetString(image, 0, 15));
        Assert.Equal(15 + 3 * 256 * 256, image.Length);
    }

    [Fact]
    public async Task An_engine_that_computes_nothing_fails_every_check()
    {
        ModelManifest m = new ModelRegistry(Repo.Engines).Get("tiny-x4");
        using var engines = new NullEngineSet(m.Geometry, EngineParity.BatchNeeded(m));
        ParityReport report = await EngineParity.RunAsync(m, engines, 40, null, CancellationToken.None);
        Assert.False(report.Passed);
        Assert.All(report.Networks, n => Assert.False(n.Passed, n.ToString()));
        Assert.All(report.Restores, r => Assert.True(r.Psnr < 40, r.ToString()));
    }

    [SkippableFact]
    public async Task Engine_tensorrt_on_a_machine_without_a_gpu_refuses_with_the_reason_instead_of_running_on_the_cpu()
    {
        Skip.If(ResShift.Engines.Cuda.CudaDevice.TryProbe(out _, out _), "a CUDA device is present: the refusal path does not apply (scripts/gpu-checks.sh covers TensorRT)");
        var (code, stdout, stderr) = await CliRun.Run("engines", "parity", "--model", "tiny-x4", "--engine", "tensorrt", "--models-dir", Repo.Engines);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("onnxruntime", stdout);
        Assert.Contains("tensorrt is not available", stderr + stdout);
    }

    [Fact]
    public async Task Bench_runs_the_requested_number_of_batches_in_flight()
    {
        var (code, stdout, stderr) = await CliRun.Run("bench", "--model", "tiny-x4", "--engine", "cpu", "--threads", "1", "--batch", "1",
            "--batches", "2", "--warmup", "0", "--engine-only", "--engine-concurrency", "2", "--json", "--models-dir", Repo.Engines);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("engine_concurrency").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("engine_slots").GetInt32()); // ONNX Runtime on the CPU: one slot
        Assert.Equal(2, doc.RootElement.GetProperty("figures")[0].GetProperty("tiles").GetInt32());
    }
}

/// <summary>`Engine: TensorRt` never silently runs on the CPU (issue 11, deployment truth).</summary>
public class TensorRtDeploymentTests
{
    [SkippableFact]
    public async Task Serve_with_engine_tensorrt_on_a_machine_without_a_gpu_exits_2_with_the_reason()
    {
        Skip.If(ResShift.Engines.Cuda.CudaDevice.TryProbe(out _, out _), "a CUDA device is present: serve would build or open real engines (scripts/gpu-checks.sh covers that)");
        string root = Repo.TempDir();
        Task<(int Code, string Out, string Err)> serve = CliRun.Run("serve", "--engine", "tensorrt", "--watch", root, "--http", "127.0.0.1:0",
            "--models-dir", Repo.Engines);
        var (code, stdout, stderr) = await serve.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("--engine tensorrt is not available", stderr);
        Assert.Contains("libcuda.so.1", stderr); // the reason, with the loader's own text
        Assert.DoesNotContain("onnxruntime", stdout + stderr);
        Assert.Empty(Directory.GetFiles(root, "*", SearchOption.AllDirectories)); // nothing was taken in or written
    }
}
