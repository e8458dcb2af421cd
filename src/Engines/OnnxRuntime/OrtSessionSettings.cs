using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>Session options we expose. Zero thread counts mean ONNX Runtime's own default.</summary>
public sealed record OrtSessionSettings
{
    /// <summary>Threads that split one operator (ORT default: one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads that run independent operators side by side; used only with <see cref="ParallelExecution"/>.</summary>
    public int InterOpThreads { get; init; }

    public bool ParallelExecution { get; init; }

    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// The arena keeps freed blocks for reuse: faster steady state, higher resident memory. On, the session
    /// uses the one arena the process environment holds for every session (grown by what is requested);
    /// off, tensors come straight from the system allocator.
    /// </summary>
    public bool CpuMemArena { get; init; } = true;

    /// <summary>
    /// Pre-plans one allocation for all intermediates of a run (ORT's default). Off, tensors are freed as soon
    /// as they die: a lower peak for large activations at a small cost.
    /// </summary>
    public bool MemPattern { get; init; } = true;

    /// <summary>
    /// Session config entries (onnxruntime_session_options_config_keys.h), e.g.
    /// <c>session.intra_op.allow_spinning = 0</c>. Unknown keys are ORT's to judge: it ignores them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ConfigEntries { get; init; } = [];

    /// <summary>
    /// When set, ORT writes a Chrome-trace JSON of every node run to <c>PREFIX_&lt;date&gt;.json</c> when the
    /// session is released: the per-operator profile behind docs/PERFORMANCE.md.
    /// </summary>
    public string? ProfileFilePrefix { get; init; }

    /// <summary>Official session options with these settings; the caller disposes them once the session exists.</summary>
    internal SessionOptions CreateOptions()
    {
        if (IntraOpThreads < 0 || InterOpThreads < 0)
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), $"Thread counts must be >= 0 (0 = default): {this}");

        var options = new SessionOptions();
        try
        {
            options.IntraOpNumThreads = IntraOpThreads;
            options.InterOpNumThreads = InterOpThreads;
            options.ExecutionMode = ParallelExecution ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL;
            options.GraphOptimizationLevel = OptimizationLevel;
            options.EnableCpuMemArena = CpuMemArena;
            if (CpuMemArena)
                options.AddSessionConfigEntry("session.use_env_allocators", "1"); // the environment's one arena
            options.EnableMemoryPattern = MemPattern;
            foreach (var (key, value) in ConfigEntries)
                options.AddSessionConfigEntry(key, value);
            if (!string.IsNullOrEmpty(ProfileFilePrefix))
            {
                options.ProfileOutputPathPrefix = ProfileFilePrefix; // read when profiling is switched on: set it first
                options.EnableProfiling = true;
            }
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
