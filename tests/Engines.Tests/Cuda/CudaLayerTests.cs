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
        // The dynamic loader's own reason is kept for each file (on a GPU machine it is the diagnosis).
        Assert.Equal(2, e.Attempts.Count);
        Assert.All(e.Attempts, a => Assert.Contains("cannot open shared object file", a.Reason));
        Assert.Contains("/nowhere/libcuda.so.1: cannot open shared object file", e.Message);
        Assert.IsAssignableFrom<DllNotFoundException>(e);
    }

    [Fact]
    public void A_file_that_is_not_a_library_reports_the_loader_reason()
    {
        string notElf = Path.Combine(Path.GetTempPath(), $"resshift-not-a-library-{Guid.NewGuid():N}.so");
        File.WriteAllText(notElf, new string('x', 256)); // long enough for glibc to read an ELF header and reject it
        try
        {
            var e = Assert.Throws<GpuLibraryNotFoundException>(() => GpuLibraryLoader.Load("NVRTC", "RESSHIFT_TEST_UNSET_VARIABLE", [notElf]));
            Assert.Contains("invalid ELF header", e.Attempts.Single().Reason);
        }
        finally
        {
            File.Delete(notElf);
        }
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
    public void Kernels_compile_without_fma_contraction_and_without_a_pinned_dialect()
    {
        foreach (var target in new[] { new NvrtcTarget(80, Cubin: true), new NvrtcTarget(80, Cubin: false) })
        {
            IReadOnlyList<string> options = NvrtcCompiler.Options(target);
            Assert.Contains("--fmad=false", options);
            Assert.DoesNotContain(options, o => o.Contains("fast-math") || o.Contains("ftz=true"));
            Assert.DoesNotContain(options, o => o.StartsWith("--std", StringComparison.Ordinal)); // CUDA 13 dropped C++14
        }
        Assert.Contains("--gpu-architecture=sm_80", NvrtcCompiler.Options(new NvrtcTarget(80, Cubin: true)));
        Assert.Contains("--gpu-architecture=compute_80", NvrtcCompiler.Options(new NvrtcTarget(80, Cubin: false)));
    }

    [Theory]
    [InlineData(9, 0, new[] { 75, 80, 86, 89, 90, 100, 120 }, true, 90, true)]   // H100/H200 with CUDA 12/13 NVRTC: sm_90 cubin
    [InlineData(8, 9, new[] { 75, 80, 86, 89, 90 }, true, 89, true)]
    [InlineData(12, 0, new[] { 75, 80, 86, 89, 90 }, true, 90, false)]          // GPU newer than NVRTC: compute_90 PTX, JIT forward
    [InlineData(9, 0, new[] { 75, 80, 86, 90 }, false, 90, false)]              // NVRTC without nvrtcGetCUBIN: PTX
    [InlineData(8, 7, new[] { 75, 80, 86, 90 }, true, 86, false)]               // Orin (8.7) not listed: PTX for the newest below
    public void Target_is_a_cubin_for_the_device_or_ptx_below_it(int major, int minor, int[] supported, bool canCubin, int arch, bool cubin) =>
        Assert.Equal(new NvrtcTarget(arch, cubin), NvrtcCompiler.ChooseTarget(major, minor, supported, canCubin));

    /// <summary>Real NVRTC when the machine has it (Debian non-free libnvrtc11.2 here; CUDA 12/13 on GPU machines).</summary>
    [SkippableFact]
    public void Kernels_compile_to_ptx_and_to_a_cubin_with_nvrtc_if_present()
    {
        (int, int) version = NvrtcVersionOrSkip();
        var (ptxBytes, log) = NvrtcNativeMethods.CompileToPtx(KernelSource.Text, KernelSource.ProgramName,
            [(NoiseDeviceSource.HeaderName, NoiseDeviceSource.Text)], NvrtcCompiler.Options(new NvrtcTarget(80, Cubin: false)));
        string ptx = System.Text.Encoding.UTF8.GetString(ptxBytes).TrimEnd('\0');
        output.WriteLine($"NVRTC {version}: {ptxBytes.Length} bytes of PTX for compute_80; log: {log}");
        foreach (string entry in KernelSource.Entries)
            Assert.Contains($".entry {entry}(", ptx);
        // --fmad=false leaves no fused multiply-add for float/double (the noise and update must round like C#).
        Assert.DoesNotContain("fma.rn.f32", ptx);
        Assert.DoesNotContain("fma.rn.f64", ptx);
        Assert.Equal(0, ptxBytes[^1]);

        KernelImage image = NvrtcCompiler.CompileKernels(8, 0);
        output.WriteLine($"CompileKernels(8.0): {image.Target}, {image.Image.Length} bytes; log: {image.Log}");
        if (NvrtcNativeMethods.CanEmitCubin && NvrtcNativeMethods.SupportedArchitectures().Contains(80))
        {
            Assert.True(image.IsCubin, image.Log);
            Assert.Equal("\u007fELF"u8.ToArray(), image.Image[..4]); // an ELF object: machine code, no JIT at load
        }
        else
        {
            Assert.False(image.IsCubin);
            Assert.Contains(".entry rs_sampler_update(", image.Text);
        }
    }

    [SkippableFact]
    public void Nvrtc_errors_carry_the_log()
    {
        NvrtcVersionOrSkip();
        var e2 = Assert.Throws<NvrtcException>(() => NvrtcNativeMethods.CompileToPtx("__global__ void k() { undefined_thing(); }", "bad.cu", [], NvrtcCompiler.Options(new NvrtcTarget(52, Cubin: false))));
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
