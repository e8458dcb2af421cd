using ResShift.Engines.Cuda.Kernels;
using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>Compiles our kernel source to PTX with NVRTC. Needs libnvrtc, not a GPU.</summary>
public static class NvrtcCompiler
{
    /// <summary>
    /// --fmad=false: no contraction of a*b+c into FMA, so float/double expressions round exactly like the C#
    /// code they mirror (the noise must be bit-identical). -default-device: functions without qualifiers are device code.
    /// </summary>
    public static IReadOnlyList<string> Options(int architecture) =>
        [$"--gpu-architecture=compute_{architecture}", "--fmad=false", "--std=c++14", "-default-device"];

    public static (int Major, int Minor) Version() => NvrtcNativeMethods.Version();

    /// <summary>The virtual architecture to compile for: the device's own, or the newest this NVRTC knows below it
    /// (the driver JIT-compiles PTX for newer GPUs).</summary>
    public static int ChooseArchitecture(int computeMajor, int computeMinor, IReadOnlyList<int> supported)
    {
        int wanted = computeMajor * 10 + computeMinor;
        if (supported.Count == 0) throw new ArgumentException("NVRTC reports no supported architectures", nameof(supported));
        int best = supported.Where(a => a <= wanted).DefaultIfEmpty(-1).Max();
        return best >= 0 ? best
            : throw new NotSupportedException($"compute capability {computeMajor}.{computeMinor} is older than anything this NVRTC targets (lowest {supported.Min()})");
    }

    /// <summary>Our kernels as PTX for a device of the given compute capability. Throws <see cref="NvrtcException"/> with the log.</summary>
    public static KernelPtx CompileKernels(int computeMajor, int computeMinor)
    {
        int arch = ChooseArchitecture(computeMajor, computeMinor, NvrtcNativeMethods.SupportedArchitectures());
        var (ptx, log) = NvrtcNativeMethods.CompileToPtx(KernelSource.Text, KernelSource.ProgramName,
            [(NoiseDeviceSource.HeaderName, NoiseDeviceSource.Text)], Options(arch));
        return new KernelPtx(ptx, arch, log);
    }
}

/// <summary>NUL-terminated PTX text as cuModuleLoadData takes it.</summary>
public sealed record KernelPtx(byte[] Ptx, int Architecture, string Log)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Ptx).TrimEnd('\0');
}
