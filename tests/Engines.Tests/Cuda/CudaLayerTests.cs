using System.Runtime.InteropServices;
using ResShift.Engines.Cuda;
using ResShift.Engines.Cuda.Kernels;
using ResShift.Engines.Cuda.Native;
using Xunit.Abstractions;

namespace ResShift.Engines.Tests.Cuda;

/// <summary>What can be checked of the CUDA layer without a GPU: names, errors, loading, compiling.</summary>
public class CudaLayerTests(ITestOutputHelper output)
{
    private static bool DriverPresent => NativeLibrary.TryLoad(CudaNativeMethods.LibraryName, out _);

    [Theory]
    [InlineData(0, "CUDA_SUCCESS")]
    [InlineData(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE")]
    [InlineData(218, "CUDA_ERROR_INVALID_PTX")]
    [InlineData(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION")]
    [InlineData(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [InlineData(999, "CUDA_ERROR_UNKNOWN")]
    [InlineData(12345, "CUDA_ERROR_12345")]
    public void CUresult_codes_have_their_cuda_h_names(int code, string name) => Assert.Equal(name, CudaResultNames.Name(code));

    [Fact]
    public void CudaException_carries_name_code_and_call()
    {
        var e = new CudaException(2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "cuMemAlloc");
        Assert.Equal("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.Message);
    }

    [Fact]
    public void Nvrtc_exception_carries_the_compile_log()
    {
        var e = new NvrtcException(6, "NVRTC_ERROR_COMPILATION", "nvrtcCompileProgram", "k.cu(3): error: identifier \"x\" is undefined");
        Assert.Contains("identifier \"x\" is undefined", e.Message);
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
    }

    [Fact]
    public void A_missing_library_names_every_file_tried()
    {
        var e = Assert.Throws<GpuLibraryNotFoundException>(() =>
            GpuLibraryLoader.Load("the NVIDIA driver (libcuda.so.1)", null, ["libdoes-not-exist.so.1", "/nowhere/libcuda.so.1"]));
        Assert.Contains("libcuda.so.1", e.Message);
        Assert.Contains("'libdoes-not-exist.so.1'", e.Message);
        Assert.Contains("--engine cpu", e.Message);
        Assert.IsAssignableFrom<DllNotFoundException>(e);
    }

    [SkippableFact]
    public void Without_a_driver_the_first_call_says_libcuda_so_1_is_missing()
    {
        Skip.If(DriverPresent, "libcuda.so.1 is installed here: no missing-driver path to exercise (the loader test above covers the message)");
        var e = Assert.Throws<GpuLibraryNotFoundException>(() => CudaDevice.Count());
        Assert.Contains("'libcuda.so.1'", e.Message);
        Assert.Contains(CudaNativeMethods.EnvironmentVariable, e.Message);
        Assert.False(CudaDevice.TryProbe(out var device, out string reason));
        Assert.Null(device);
        Assert.Contains("libcuda.so.1", reason);
    }

    [Theory]
    [InlineData(8, 9, new[] { 50, 52, 60, 70, 75, 80, 86, 87, 89, 90 }, 89)]
    [InlineData(9, 0, new[] { 50, 52, 60, 70, 75, 80, 86, 87 }, 87)] // older NVRTC than the GPU: PTX is JIT-compiled forward
    [InlineData(12, 0, new[] { 75, 80, 90, 100, 120 }, 120)]
    public void Architecture_is_the_device_or_the_newest_below_it(int major, int minor, int[] supported, int expected) =>
        Assert.Equal(expected, NvrtcCompiler.ChooseArchitecture(major, minor, supported));

    [Fact]
    public void Architecture_older_than_nvrtc_supports_is_refused() =>
        Assert.Throws<NotSupportedException>(() => NvrtcCompiler.ChooseArchitecture(3, 5, [50, 60]));

    [Fact]
    public void Kernels_compile_without_fma_contraction()
    {
        Assert.Contains("--fmad=false", NvrtcCompiler.Options(80));
        Assert.DoesNotContain(NvrtcCompiler.Options(80), o => o.Contains("fast-math") || o.Contains("ftz=true"));
    }

    /// <summary>Real NVRTC when the machine has it (Debian non-free libnvrtc11.2 here; CUDA 12/13 on GPU machines).</summary>
    [SkippableFact]
    public void Kernels_compile_to_ptx_with_nvrtc_if_present()
    {
        (int, int) version = NvrtcVersionOrSkip();
        KernelPtx ptx = NvrtcCompiler.CompileKernels(8, 6);
        output.WriteLine($"NVRTC {version}: {ptx.Ptx.Length} bytes of PTX for compute_{ptx.Architecture}; log: {ptx.Log}");
        foreach (string entry in KernelSource.Entries)
            Assert.Contains($".entry {entry}(", ptx.Text);
        // --fmad=false leaves no fused multiply-add for float/double (the noise and update must round like C#).
        Assert.DoesNotContain("fma.rn.f32", ptx.Text);
        Assert.DoesNotContain("fma.rn.f64", ptx.Text);
        Assert.Equal(0, ptx.Ptx[^1]);
    }

    [SkippableFact]
    public void Nvrtc_errors_carry_the_log()
    {
        NvrtcVersionOrSkip();
        var e2 = Assert.Throws<NvrtcException>(() => NvrtcNativeMethods.CompileToPtx("__global__ void k() { undefined_thing(); }", "bad.cu", [], NvrtcCompiler.Options(52)));
        Assert.Contains("undefined_thing", e2.Log);
        Assert.Contains("bad.cu", e2.Message);
    }

    [Fact]
    public void Tile_noise_record_matches_the_kernel_struct() => Assert.Equal(32, Marshal.SizeOf<TileNoise>());

    private static (int Major, int Minor) NvrtcVersionOrSkip()
    {
        try
        {
            return NvrtcCompiler.Version();
        }
        catch (GpuLibraryNotFoundException e)
        {
            throw new SkipException($"NVRTC absent: {e.Message}");
        }
    }
}
