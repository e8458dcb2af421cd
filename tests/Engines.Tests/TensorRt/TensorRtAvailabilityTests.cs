using System.Diagnostics;
using System.Runtime.InteropServices;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt;
using Xunit.Abstractions;

namespace ResShift.Engines.Tests.TensorRt;

public class TensorRtAvailabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void Auto_falls_back_with_a_reason_when_the_gpu_path_is_absent()
    {
        var files = new[] { new TrtNetworkFile("encoder", "/nonexistent.onnx", "image:3x256x256") };
        bool ok = TensorRtLoader.TryOpen(Path.GetTempPath(), files, new ModelGeometry(64, 4, 4, 3), 4, "fp16", out IEngineSet? engines, out string reason);
        output.WriteLine(reason);
        if (NativeLibrary.TryLoad("libcuda.so.1", out _))
        {
            output.WriteLine("libcuda.so.1 present: only checking that a reason is given");
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return;
        }
        Assert.False(ok);
        Assert.Null(engines);
        Assert.Contains("libcuda.so.1", reason);
    }

    [Fact]
    public void Cuda_graph_capture_is_refused_until_implemented()
    {
        Assert.True(new TensorRtEngineOptions { CaptureCudaGraph = true }.CaptureCudaGraph);
        Assert.Equal(3, new TensorRtEngineOptions().Slots);
    }

    [Fact]
    public void Build_settings_keep_the_vq_distance_in_fp32() =>
        Assert.Contains("quantize", TrtBuildSettings.DefaultFp32Layers);

    [Fact]
    public void Gpu_metric_names_match_the_issue()
    {
        Assert.Equal("ResShift.Gpu", GpuMemoryMetrics.MeterName);
        Assert.Equal("resshift_gpu_memory_used_bytes", GpuMemoryMetrics.UsedBytesInstrument);
    }

    /// <summary>
    /// "With TensorRT headers but no library: the shim compiles and links." Runs native/trt/check.sh when
    /// RESSHIFT_TRT_INCLUDE names a folder with NvInfer.h (headers from github:NVIDIA/TensorRT include/, 10.x).
    /// </summary>
    [SkippableFact]
    public void Shim_compiles_and_links_against_tensorrt_headers_when_given()
    {
        string? include = Environment.GetEnvironmentVariable("RESSHIFT_TRT_INCLUDE");
        Skip.If(string.IsNullOrEmpty(include) || !File.Exists(Path.Combine(include, "NvInfer.h")),
            "TensorRT headers not given: set RESSHIFT_TRT_INCLUDE to a TensorRT 10 include folder (NvInfer.h, NvOnnxParser.h) to compile the shim");
        string repo = FindRepoRoot();
        string so = Path.Combine(Directory.CreateTempSubdirectory("trt-shim-").FullName, "libresshift_trt.so");
        var psi = new ProcessStartInfo("bash", $"{Path.Combine(repo, "native/trt/check.sh")} {include} {so}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine(text);
        Assert.True(p.ExitCode == 0, text);
        Assert.Contains("shim OK", text);
        Assert.True(File.Exists(so));
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "native/trt/check.sh"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root with native/trt/check.sh not found above " + AppContext.BaseDirectory);
    }
}
