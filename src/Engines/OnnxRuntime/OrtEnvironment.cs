using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// The process-wide OrtEnv and CPU memory description, created on first use. ORT wants one environment per
/// process that outlives every session, so neither is ever released (the process exit reclaims them).
/// </summary>
internal static class OrtEnvironment
{
    private static readonly Lazy<OrtEnvHandle> Env =
        new(() => NativeMethods.CreateEnv(OrtLoggingLevel.Warning, "resshift"), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<OrtMemoryInfoHandle> Cpu =
        new(NativeMethods.CreateCpuMemoryInfo, LazyThreadSafetyMode.ExecutionAndPublication);

    public static OrtEnvHandle Handle => Env.Value;

    /// <summary>Describes plain host memory; shared by every tensor we create over caller buffers.</summary>
    public static OrtMemoryInfoHandle CpuMemory => Cpu.Value;
}
