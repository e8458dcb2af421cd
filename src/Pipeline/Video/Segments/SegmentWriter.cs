using System.Diagnostics;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// Receives restored frames in order and encodes each segment to its own .part file, one encoder process per
/// segment, committing the segment (file, then record) when its last frame is in. Frames of committed
/// segments never arrive here (they are skipped at decode).
/// </summary>
internal sealed class SegmentWriter(
    FfmpegTools tools, SegmentStore store, IReadOnlyList<Segment> segments, int frameSegmentSize, string name,
    int width, int height, VideoDecisions decisions, EncoderPlan plan, Func<Segment, SegmentRecord> recordFor,
    IReadOnlyList<long> sortedPts) : IDisposable
{
    private FrameEncoder? _encoder;
    private Segment _current;
    private long _written;
    private long _started;

    /// <summary>Encoder command lines, one per segment encoded in this run (provenance).</summary>
    public List<string> CommandLines { get; } = [];

    public List<SegmentRecord> Committed { get; } = [];

    public async Task WriteAsync(long frame, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_encoder is null)
        {
            _current = segments[(int)(frame / frameSegmentSize)];
            if (frame != _current.FirstFrame) throw new InvalidOperationException($"segment {_current.Index} must start at frame {_current.FirstFrame}, got {frame}");
            System.IO.Directory.CreateDirectory(store.Directory);
            _started = Stopwatch.GetTimestamp();
            _encoder = new FrameEncoder(tools, store.PartPathOf(_current), name, width, height, decisions, plan, cancellationToken);
            CommandLines.Add(_encoder.CommandLine);
            _written = 0;
        }
        try
        {
            await _encoder.WriteFrameAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new VideoException(name, $"the encoder stopped taking frames: {_encoder.Stderr.Trim()}", e);
        }
        if (++_written < _current.Frames) return;

        FrameEncoder done = _encoder;
        _encoder = null;
        using (done) await done.FinishAsync(cancellationToken).ConfigureAwait(false);
        SegmentRecord record = recordFor(_current) with
        {
            FirstPts = sortedPts.Count > _current.FirstFrame ? sortedPts[(int)_current.FirstFrame] : 0,
            LastPts = sortedPts.Count >= _current.EndFrame ? sortedPts[(int)_current.EndFrame - 1] : 0,
        };
        Committed.Add(await store.CommitAsync(_current, record, cancellationToken).ConfigureAwait(false));
        VideoMetrics.SegmentDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds);
    }

    public void Dispose() => _encoder?.Dispose();
}
