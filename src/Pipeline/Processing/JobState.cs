using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>A job between load and write: its plan, its blender, and how many tiles are still out.</summary>
internal sealed class JobState
{
    private int _remaining;
    private int _finished;
    private long _reservedBytes;

    public IRestoreJob Job { get; }
    public TaskCompletionSource<JobReport> Completion { get; }
    public LqImage? Lq { get; set; }
    public Fidelity.FidelityReference? Fidelity { get; set; }
    public TilePlan? Plan { get; set; }
    public TileBlender? Blender { get; set; }
    public JobReport? Report { get; set; }
    public long StartedTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    public CancellationToken Cancellation { get; }

    /// <summary>The job's noise key mixed with its seed, and its noise scale: fixed once loaded.</summary>
    public ulong NoiseKey { get; set; }
    public float NoiseScale { get; set; } = 1f;

    public JobState(IRestoreJob job, CancellationToken cancellation)
    {
        Job = job;
        Cancellation = cancellation;
        Completion = new TaskCompletionSource<JobReport>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Nothing more should be done for the job: it has finished (failed) or its caller cancelled it.</summary>
    public bool Failed => Volatile.Read(ref _finished) != 0 || Cancellation.IsCancellationRequested;

    /// <summary>Bytes of the pipeline's memory budget this job holds (0 until it is admitted).</summary>
    public long ReservedBytes
    {
        get => Volatile.Read(ref _reservedBytes);
        set => Volatile.Write(ref _reservedBytes, value);
    }

    /// <summary>Hands back the job's reservation once: later calls get 0.</summary>
    public long TakeReservedBytes() => Interlocked.Exchange(ref _reservedBytes, 0);

    /// <summary>NaN and ±Inf samples the engine gave this job's tiles before they were clamped (the fidelity guard refuses the output).</summary>
    public long NonFiniteSamples => Interlocked.Read(ref _nonFinite);
    private long _nonFinite;

    public void AddNonFinite(ReadOnlySpan<float> tile)
    {
        if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(tile)) return;
        long count = 0;
        foreach (float v in tile) if (!float.IsFinite(v)) count++;
        Interlocked.Add(ref _nonFinite, count);
    }

    public void Expect(int tiles) => _remaining = tiles;

    /// <summary>True for the call that finishes the last tile.</summary>
    public bool TileDone() => Interlocked.Decrement(ref _remaining) == 0;

    /// <summary>
    /// Claims the job's outcome: true for exactly one caller, who then releases its slot and sets the outcome
    /// (<see cref="SetFailed"/> or the completion's result). Every other path sees false and leaves it alone.
    /// </summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    /// <summary>Sets the outcome of a job claimed with <see cref="TryFinish"/>: cancelled when its caller cancelled it.</summary>
    public void SetFailed(Exception e)
    {
        Lq = null;
        Blender = null;
        if (e is OperationCanceledException && Cancellation.IsCancellationRequested) Completion.TrySetCanceled(Cancellation);
        else Completion.TrySetException(e);
    }
}
