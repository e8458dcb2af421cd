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

    /// <summary>
    /// The engine set itself refuses the option, before any GPU work (so no context or plans are needed);
    /// without the option the same arguments get past that check and fail only later, on the empty plans.
    /// </summary>
    [Fact]
    public void Cuda_graph_capture_is_refused_until_implemented()
    {
        var geometry = new ModelGeometry(64, 4, 4, 3);
        TensorRtEngineSet Open(TensorRtEngineOptions options) => new(null!, [], [], [], geometry, 1, "fp16", options);

        var refused = Assert.Throws<NotSupportedException>(() => Open(new TensorRtEngineOptions { CaptureCudaGraph = true }));
        Assert.Contains("CUDA graph", refused.Message);

        Exception later = Assert.ThrowsAny<Exception>(() => Open(new TensorRtEngineOptions()));
        Assert.IsNotType<NotSupportedException>(later);
    }

    [Fact]
    public void Build_settings_keep_the_vq_distance_in_fp32() =>
        Assert.Contains("quantize", TrtBuildSettings.DefaultFp32Layers);

    /// <summary>The gauge's reading follows the device: allocating 256 MiB raises it by about that much.</summary>
    [SkippableFact]
    public void Gpu_memory_gauge_follows_device_allocations()
    {
        Skip.IfNot(CudaDevice.TryProbe(out _, out string reason), $"no CUDA device: {reason}");
        using var context = new CudaContext();
        const long Block = 256L << 20;
        long before = Assert.Single(GpuMemoryMetrics.UsedBytes(context)).Value;
        long during;
        using (context.Allocate(Block))
            during = Assert.Single(GpuMemoryMetrics.UsedBytes(context)).Value;

        Assert.InRange(before, 1, (long)context.Device.TotalMemoryBytes);
        Assert.InRange(during - before, Block, Block + (64L << 20)); // allocation granularity, nothing else
    }
}
