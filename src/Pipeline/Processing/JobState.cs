using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>A job between load and write: its plan, its blender, and how many tiles are still out.</summary>
internal sealed class JobState
{
    private int _remaining;
    private int _failed;

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

    public bool Failed => Volatile.Read(ref _failed) != 0 || Cancellation.IsCancellationRequested;

    public void Expect(int tiles) => _remaining = tiles;

    /// <summary>True for the call that finishes the last tile.</summary>
    public bool TileDone() => Interlocked.Decrement(ref _remaining) == 0;

    /// <summary>Fails the job once; later calls are ignored. Returns whether this call failed it.</summary>
    public bool Fail(Exception e)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0) return false;
        Lq = null;
        Blender = null;
        Completion.TrySetException(e);
        return true;
    }
}
