using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// The process-wide OrtEnv, created on first use with our log id and level. ORT wants one environment per
/// process that outlives every session, so it is never released (the process exit reclaims it).
/// The environment carries one CPU arena that all sessions with the arena on share (see
/// <see cref="OrtSessionSettings.CpuMemArena"/>): per-session arenas that double as they grow held up to
/// twice the working set each, which put the daemon's resident memory anywhere between 0.7 and 1.05 GiB.
/// </summary>
internal static class OrtEnvironment
{
    /// <summary>arena_extend_strategy kSameAsRequested: grow by what is asked for, not by doubling.</summary>
    private const int SameAsRequested = 1;

    private static readonly Lazy<OrtEnv> Env = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    // Kept alive with the environment: the registered allocator was described by it.
    private static OrtMemoryInfo? _arenaMemory;

    public static OrtEnv Instance => Env.Value;

    /// <summary>Describes plain host memory: every tensor we create over caller buffers.</summary>
    public static OrtMemoryInfo CpuMemory
    {
        get
        {
            _ = Env.Value;
            return OrtMemoryInfo.DefaultInstance;
        }
    }

    private static OrtEnv Create()
    {
        OrtLibrary.EnsureResolver();
        try
        {
            var options = new EnvironmentCreationOptions { logId = "resshift", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING };
            var env = OrtEnv.CreateInstanceWithOptions(ref options);
            _arenaMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            using var arena = new OrtArenaCfg(0, SameAsRequested, -1, -1); // the allocator copies the settings
            env.CreateAndRegisterAllocator(_arenaMemory, arena);
            return env;
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            var cause = ex is TypeInitializationException { InnerException: { } inner } ? inner : ex;
            throw new DllNotFoundException(
                $"ONNX Runtime could not be loaded from {OrtLibrary.Source}: {cause.Message.Trim()} " +
                $"(set {OrtLibrary.EnvironmentVariable} to the full path of a libonnxruntime.so {OrtLibrary.PackageVersion} or later, " +
                "or unset it to use the packaged library)", cause);
        }
    }
}
