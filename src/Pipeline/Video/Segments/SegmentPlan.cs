namespace ResShift.Pipeline.Video.Segments;

/// <summary>One segment: a range of frames (in decode order) encoded to its own file.</summary>
public readonly record struct Segment(int Index, long FirstFrame, long Frames)
{
    public long EndFrame => FirstFrame + Frames;
    public string FileName => $"segment-{Index:D5}.mkv";
    public string RecordName => $"segment-{Index:D5}.json";
}

/// <summary>Cuts a video of <c>frames</c> frames into segments of <c>perSegment</c> frames (the last one shorter).</summary>
public static class SegmentPlan
{
    /// <summary>At most 10 s of video per segment, and about 2000 tiles of engine work (a few minutes on a GPU).</summary>
    public static int AutoSize(double fps, int tilesPerFrame)
    {
        int byTime = (int)Math.Max(1, Math.Round(10 * (fps > 0 ? fps : 25)));
        int byWork = Math.Max(1, 2000 / Math.Max(1, tilesPerFrame));
        return Math.Min(byTime, byWork);
    }

    public static IReadOnlyList<Segment> Cut(long frames, int perSegment)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSegment);
        var list = new List<Segment>();
        for (long first = 0, i = 0; first < frames; first += perSegment, i++)
            list.Add(new Segment((int)i, first, Math.Min(perSegment, frames - first)));
        return list;
    }
}
