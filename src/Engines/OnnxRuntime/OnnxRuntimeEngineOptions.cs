namespace ResShift.Engines.OnnxRuntime;

/// <summary>How the CPU engine set loads and runs its graphs.</summary>
public sealed record OnnxRuntimeEngineOptions
{
    /// <summary>Applied to all three sessions.</summary>
    public OrtSessionSettings Session { get; init; } = new();

    /// <summary>
    /// False (default): each call runs on the thread pool, so several awaits started from one thread really
    /// overlap. True: runs on the calling thread and returns a completed ValueTask (no Task allocation), for
    /// callers that already dedicate a thread per batch.
    /// </summary>
    public bool RunInline { get; init; }
}
