using System.Buffers;
using System.Diagnostics;

namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// What the guard keeps of an input once it is cut into tiles: its luminance (one float per input pixel,
/// a third of the LQ image and about 2 % of a ×4 output buffer; pooled), how much its colours vary (for the
/// constant-output check), and an optional known-area mask. For scale 1 the luminance is stored already blurred.
/// </summary>
public sealed class FidelityReference : IDisposable
{
    private float[]? _luma;
    private float[]? _known;

    private FidelityReference(float[] luma, float[]? known, int width, int height, int scale, float spread, TimeSpan cost)
    {
        _luma = luma;
        _known = known;
        Width = width;
        Height = height;
        Scale = scale;
        Spread = spread;
        CaptureTime = cost;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The output is expected to be Scale·Width × Scale·Height.</summary>
    public int Scale { get; }

    /// <summary>Largest per-channel max − min of the input, in [0, 1] units.</summary>
    public float Spread { get; }

    /// <summary>Time spent capturing (counted in the job's "fidelity" stage).</summary>
    public TimeSpan CaptureTime { get; }

    internal ReadOnlySpan<float> LumaPlane => (_luma ?? throw new ObjectDisposedException(nameof(FidelityReference))).AsSpan(0, Width * Height);
    internal ReadOnlySpan<float> Known => _known is null ? default : _known.AsSpan(0, Width * Height);

    /// <param name="rgb">Planar RGB, 3 × height × width.</param>
    /// <param name="knownMask">Optional, width × height: non-zero where the input is known (inpainting); empty = all known.</param>
    public static FidelityReference Capture(ReadOnlySpan<float> rgb, int width, int height, int scale, SampleRange range, ReadOnlySpan<byte> knownMask = default)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"an input of {width}×{height} has no pixels");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be >= 1");
        int n = width * height;
        if (rgb.Length < 3 * n) throw new ArgumentException($"{rgb.Length} samples cannot hold a 3×{height}×{width} image");
        if (!knownMask.IsEmpty && knownMask.Length != n) throw new ArgumentException($"the known-area mask has {knownMask.Length} values for {n} pixels");
        long t0 = Stopwatch.GetTimestamp();
        float[] luma = ArrayPool<float>.Shared.Rent(n);
        Degradation.Luminance(rgb, width, height, range, luma);
        if (scale == 1) Degradation.Blur3(luma.AsSpan(0, n), width, height);
        float[]? known = null;
        if (!knownMask.IsEmpty)
        {
            known = ArrayPool<float>.Shared.Rent(n);
            int any = 0;
            for (int i = 0; i < n; i++) any |= (known[i] = knownMask[i] != 0 ? 1f : 0f) != 0 ? 1 : 0;
            if (any == 0)
            {
                ArrayPool<float>.Shared.Return(known);
                ArrayPool<float>.Shared.Return(luma);
                throw new ArgumentException("the known-area mask marks no pixel as known: there is nothing to compare");
            }
        }
        float spread = Luma.Spread(rgb, n, range);
        return new FidelityReference(luma, known, width, height, scale, spread, Stopwatch.GetElapsedTime(t0));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _luma, null) is { } l) ArrayPool<float>.Shared.Return(l);
        if (Interlocked.Exchange(ref _known, null) is { } k) ArrayPool<float>.Shared.Return(k);
    }
}
