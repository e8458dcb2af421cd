using ResShift.Engines.Cuda.Kernels;
using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>What NVRTC is asked for: machine code for the device's own architecture, else PTX the driver JIT-compiles.</summary>
public sealed record NvrtcTarget(int Architecture, bool Cubin)
{
    /// <summary>"sm_90" for a cubin (real architecture), "compute_90" for PTX (virtual architecture).</summary>
    public string ArchitectureOption => $"--gpu-architecture={(Cubin ? "sm" : "compute")}_{Architecture}";

    public override string ToString() => Cubin ? $"sm_{Architecture} cubin" : $"compute_{Architecture} PTX";
}

/// <summary>Compiles our kernel source with NVRTC. Needs libnvrtc, not a GPU.</summary>
public static class NvrtcCompiler
{
    /// <summary>
    /// --fmad=false: no contraction of a*b+c into FMA, so float/double expressions round exactly like the C#
    /// code they mirror (the noise must be bit-identical). -default-device: functions without qualifiers are
    /// device code. No --std: NVRTC's default dialect (C++17 since CUDA 11) is what the source is written in,
    /// and CUDA 13 dropped C++14.
    /// </summary>
    public static IReadOnlyList<string> Options(NvrtcTarget target) => [target.ArchitectureOption, "--fmad=false", "-default-device"];

    public static (int Major, int Minor) Version() => NvrtcNativeMethods.Version();

    /// <summary>
    /// The device's own architecture as a cubin when this NVRTC targets it (no JIT at load, no dependence on
    /// libnvidia-ptxjitcompiler); otherwise PTX for the newest architecture it knows below the device, which
    /// the driver JIT-compiles for newer GPUs.
    /// </summary>
    public static NvrtcTarget ChooseTarget(int computeMajor, int computeMinor, IReadOnlyList<int> supported, bool canEmitCubin)
    {
        int wanted = computeMajor * 10 + computeMinor;
        if (canEmitCubin && supported.Contains(wanted)) return new NvrtcTarget(wanted, Cubin: true);
        return new NvrtcTarget(ChooseArchitecture(computeMajor, computeMinor, supported), Cubin: false);
    }

    /// <summary>The virtual architecture to compile PTX for: the device's own, or the newest this NVRTC knows below it.</summary>
    public static int ChooseArchitecture(int computeMajor, int computeMinor, IReadOnlyList<int> supported)
    {
        int wanted = computeMajor * 10 + computeMinor;
        if (supported.Count == 0) throw new ArgumentException("NVRTC reports no supported architectures", nameof(supported));
        int best = supported.Where(a => a <= wanted).DefaultIfEmpty(-1).Max();
        return best >= 0 ? best
            : throw new NotSupportedException($"compute capability {computeMajor}.{computeMinor} is older than anything this NVRTC targets (lowest {supported.Min()})");
    }

    /// <summary>
    /// Our kernels for a device of the given compute capability: a cubin where possible, PTX when the cubin
    /// compile is not possible or fails (the failure is kept in <see cref="KernelImage.Log"/>). Throws
    /// <see cref="NvrtcException"/> with the compile log when even PTX does not compile.
    /// </summary>
    public static KernelImage CompileKernels(int computeMajor, int computeMinor)
    {
        int[] supported = NvrtcNativeMethods.SupportedArchitectures();
        NvrtcTarget target = ChooseTarget(computeMajor, computeMinor, supported, NvrtcNativeMethods.CanEmitCubin);
        string note = "";
        if (target.Cubin)
        {
            try
            {
                var (cubin, log) = NvrtcNativeMethods.CompileToCubin(KernelSource.Text, KernelSource.ProgramName, Headers, Options(target));
                return new KernelImage(cubin, target, log);
            }
            catch (NvrtcException e)
            {
                note = $"cubin for sm_{target.Architecture} failed, using PTX: {e.Message}\n";
            }
            target = new NvrtcTarget(ChooseArchitecture(computeMajor, computeMinor, supported), Cubin: false);
        }
        var (ptx, ptxLog) = NvrtcNativeMethods.CompileToPtx(KernelSource.Text, KernelSource.ProgramName, Headers, Options(target));
        return new KernelImage(ptx, target, note + ptxLog);
    }

    private static IReadOnlyList<(string, string)> Headers => [(NoiseDeviceSource.HeaderName, NoiseDeviceSource.Text)];
}

/// <summary>What cuModuleLoadData takes: an ELF cubin, or NUL-terminated PTX text.</summary>
public sealed record KernelImage(byte[] Image, NvrtcTarget Target, string Log)
{
    public int Architecture => Target.Architecture;

    public bool IsCubin => Target.Cubin;

    /// <summary>The PTX text (empty for a cubin).</summary>
    public string Text => IsCubin ? "" : System.Text.Encoding.UTF8.GetString(Image).TrimEnd('\0');
}
