using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// Puts restored frames back in order: frames finish out of order (their tiles share batches with other
/// jobs), the encoder needs them in order. A frame that arrives early is converted and parked; whoever
/// completes the next expected frame writes every consecutive parked one. Nothing waits on a missing frame,
/// so the pipeline's writers never block each other; the window (frames taken from the decoder but not yet
/// encoded) bounds what is parked.
/// </summary>
internal sealed class FrameSequencer(Func<long, ReadOnlyMemory<byte>, CancellationToken, Task> write, int bytesPerSample, int window) : IDisposable
{
    private static readonly byte[] Skipped = [];
    private readonly SortedDictionary<long, byte[]> _parked = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _gate = new();
    private long _next;
    private long _written;

    /// <summary>Taken before a frame is decoded into a job, given back when it is encoded (or skipped).</summary>
    public SemaphoreSlim Window { get; } = new(window, window);

    /// <summary>Frames passed in order (encoded or skipped).</summary>
    public long Written => Interlocked.Read(ref _written);

    public ValueTask PutAsync(long index, RestoredImage frame, CancellationToken cancellationToken)
    {
        var bytes = new byte[RawFrame.Bytes(frame.Width, frame.Height, bytesPerSample)];
        RawFrame.FromRestored(frame.Pixels, frame.Width, frame.Height, bytesPerSample, bytes);
        return ParkAndDrainAsync(index, bytes, cancellationToken);
    }

    /// <summary>A frame of an already committed segment: it takes its turn but nothing is written.</summary>
    public ValueTask SkipAsync(long index, CancellationToken cancellationToken) => ParkAndDrainAsync(index, Skipped, cancellationToken);

    private async ValueTask ParkAndDrainAsync(long index, byte[] bytes, CancellationToken cancellationToken)
    {
        lock (_gate) _parked.Add(index, bytes);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                byte[]? ready;
                long at;
                lock (_gate)
                {
                    at = _next;
                    if (!_parked.Remove(at, out ready)) return;
                }
                if (!ReferenceEquals(ready, Skipped)) await write(at, ready, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _next);
                Interlocked.Increment(ref _written);
                Window.Release();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose()
    {
        _writeLock.Dispose();
        Window.Dispose();
    }
}
