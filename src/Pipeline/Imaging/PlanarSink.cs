namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Receives interleaved samples in whatever chunks libvips writes them (a chunk may end inside a pixel) and
/// spreads whole pixels into a <see cref="PlanarImage"/>, in order. Refuses more pixels than the image holds, and
/// stops the save (returns -1) once <see cref="CancellationToken"/> is cancelled.
/// </summary>
internal sealed class PlanarSink(PlanarImage target, int bands, int bitDepth, CancellationToken cancellationToken)
{
    private readonly int _pixelBytes = bands * bitDepth / 8;
    private readonly byte[] _carry = new byte[8]; // the start of a pixel split across two chunks (at most 4 × 2 bytes)
    private int _carried;

    /// <summary>Pixels written so far.</summary>
    public int Written { get; private set; }

    /// <summary>NetVips' write callback: the bytes taken, or -1 to make the save fail.</summary>
    public long Write(byte[] buffer, int length)
    {
        if (cancellationToken.IsCancellationRequested) return -1;
        ReadOnlySpan<byte> data = buffer.AsSpan(0, length);
        if (_carried > 0)
        {
            int take = Math.Min(_pixelBytes - _carried, data.Length);
            data[..take].CopyTo(_carry.AsSpan(_carried));
            _carried += take;
            data = data[take..];
            if (_carried < _pixelBytes) return length;
            if (!Spread(_carry.AsSpan(0, _pixelBytes))) return -1;
            _carried = 0;
        }
        int whole = data.Length / _pixelBytes * _pixelBytes;
        if (whole > 0 && !Spread(data[..whole])) return -1;
        data[whole..].CopyTo(_carry);
        _carried = data.Length - whole;
        return length;
    }

    private bool Spread(ReadOnlySpan<byte> samples)
    {
        int count = samples.Length / _pixelBytes;
        if (Written + count > target.PixelCount) return false;
        SampleConverter.ToPlanar(samples, bands, bitDepth, target, Written);
        Written += count;
        return true;
    }
}
