namespace ResShift.Pipeline.Video.Jobs;

/// <summary>Progress of one video: frames and tiles done against the frames expected (for the CLI bar, status and metrics).</summary>
public sealed class VideoProgress
{
    private long _framesDone, _tilesDone, _tilesPlanned;

    public long FramesExpected { get; internal set; }
    public long FramesDone => Interlocked.Read(ref _framesDone);
    public long TilesDone => Interlocked.Read(ref _tilesDone);
    public long TilesPlanned => Interlocked.Read(ref _tilesPlanned);

    /// <summary>Hooks for the caller's own progress reporting (restore's bar).</summary>
    public Action<int>? OnTilesPlanned { get; init; }
    public Action? OnTileDone { get; init; }
    public Action? OnFrameDone { get; init; }

    internal void Planned(int tiles)
    {
        Interlocked.Add(ref _tilesPlanned, tiles);
        OnTilesPlanned?.Invoke(tiles);
    }

    internal void TileDone()
    {
        Interlocked.Increment(ref _tilesDone);
        OnTileDone?.Invoke();
    }

    /// <summary>Frames of segments committed by an earlier run: a resumed job starts at its committed fraction.</summary>
    public long FramesResumed { get; private set; }

    internal void Resumed(long frames)
    {
        FramesResumed += frames;
        Interlocked.Add(ref _framesDone, frames);
    }

    private readonly Queue<long> _recent = new();

    /// <summary>Seconds left at the rate of the last 20 frames encoded; null until two frames are in.</summary>
    public double? EtaSeconds
    {
        get
        {
            lock (_recent)
            {
                if (_recent.Count < 2) return null;
                double span = (double)(_recent.Last() - _recent.Peek()) / System.Diagnostics.Stopwatch.Frequency;
                double rate = span > 0 ? (_recent.Count - 1) / span : 0;
                return rate > 0 ? Math.Max(0, FramesExpected - FramesDone) / rate : null;
            }
        }
    }

    internal void FrameDone()
    {
        lock (_recent)
        {
            _recent.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
            if (_recent.Count > 20) _recent.Dequeue();
        }
        Interlocked.Increment(ref _framesDone);
        VideoMetrics.Frames.Add(1);
        OnFrameDone?.Invoke();
    }
}
