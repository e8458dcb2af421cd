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
}
