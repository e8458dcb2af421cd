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

    internal void FrameDone()
    {
        Interlocked.Increment(ref _framesDone);
        VideoMetrics.Frames.Add(1);
        OnFrameDone?.Invoke();
    }
}
