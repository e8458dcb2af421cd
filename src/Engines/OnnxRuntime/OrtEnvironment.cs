using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// The process-wide OrtEnv and CPU memory description, created on first use. ORT wants one environment per
/// process that outlives every session, so neither is ever released (the process exit reclaims them).
/// The environment carries one CPU arena that all sessions with the arena on share (see
/// <see cref="OrtSessionSettings.CpuMemArena"/>): per-session arenas that double as they grow held up to
/// twice the working set each, which put the daemon's resident memory anywhere between 0.7 and 1.05 GiB.
/// </summary>
internal static class OrtEnvironment
{
    private static readonly Lazy<OrtEnvHandle> Env = new(() =>
    {
        var env = NativeMethods.CreateEnv(OrtLoggingLevel.Warning, "resshift");
        NativeMethods.RegisterSharedCpuArena(env, CpuMemory);
        return env;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<OrtMemoryInfoHandle> Cpu =
        new(NativeMethods.CreateCpuMemoryInfo, LazyThreadSafetyMode.ExecutionAndPublication);

    public static OrtEnvHandle Handle => Env.Value;

    /// <summary>Describes plain host memory; shared by every tensor we create over caller buffers.</summary>
    public static OrtMemoryInfoHandle CpuMemory => Cpu.Value;
}
