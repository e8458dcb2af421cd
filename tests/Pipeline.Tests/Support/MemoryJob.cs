using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Tests.Support;

/// <summary>A job whose input is a synthetic LQ image in memory and whose output is kept for inspection.</summary>
internal sealed class MemoryJob(string name, int width, int height, ulong key = 1) : IRestoreJob
{
    private int _loadCalls;

    public string Name { get; } = name;
    public string Source => "test";
    public ulong NoiseKey { get; } = key;
    public Exception? LoadError { get; init; }
    public JobSettings Settings { get; init; } = JobSettings.Default;
    public RestoredImage? Output { get; private set; }
    public int Width { get; } = width;
    public int Height { get; } = height;

    /// <summary>Whether the job tells its size from a "header" before loading, as a file job does.</summary>
    public bool ReportsSize { get; init; }

    /// <summary>Runs at the start of LoadAsync (a slow decode, say); it may or may not honour the token.</summary>
    public Func<CancellationToken, Task>? BeforeLoad { get; init; }

    /// <summary>Counts this job as in flight from the start of its load to its write.</summary>
    public ConcurrencyGauge? Gauge { get; init; }

    public int LoadCalls => Volatile.Read(ref _loadCalls);

    public float[] Pixels()
    {
        var p = new float[3 * Width * Height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++)
                    p[(c * Height + y) * Width + x] = (float)Math.Sin(0.3 * x + 0.17 * y + c + NoiseKey);
        return p;
    }

    public ValueTask<ImageSize?> ProbeAsync(CancellationToken ct) =>
        ValueTask.FromResult(ReportsSize ? new ImageSize(Width, Height) : (ImageSize?)null);

    public async ValueTask<LqImage> LoadAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _loadCalls);
        Gauge?.Enter();
        if (BeforeLoad is not null) await BeforeLoad(ct);
        if (LoadError is not null) throw LoadError;
        return new LqImage(Width, Height, Pixels());
    }

    public ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken ct)
    {
        Output = output;
        Gauge?.Exit();
        return ValueTask.CompletedTask;
    }
}

/// <summary>How many jobs are between load and write now, and the most there ever were.</summary>
internal sealed class ConcurrencyGauge
{
    private int _current;
    private int _max;

    public int Current => Volatile.Read(ref _current);
    public int Max => Volatile.Read(ref _max);

    public void Enter()
    {
        int now = Interlocked.Increment(ref _current);
        int seen;
        while ((seen = _max) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen) { }
    }

    public void Exit() => Interlocked.Decrement(ref _current);
}
