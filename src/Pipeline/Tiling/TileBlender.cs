using System.Numerics.Tensors;

namespace ResShift.Pipeline.Tiling;

/// <summary>
/// Accumulates restored tiles into the full output (LQ size × scale) with float32 weighted sums and a
/// per-pixel weight plane, normalised once at the end. Feather weights ramp as a raised cosine across the
/// overlap with each neighbouring tile (partition of unity for two tiles) and stay 1 at image borders;
/// every weight is strictly positive, so every covered pixel is defined. Add is thread-safe.
/// </summary>
public sealed class TileBlender
{
    private readonly TilePlan _plan;
    private readonly int _plane;
    private readonly float[] _sum;
    private readonly float[] _weight;
    private readonly float[][] _rowWeights;
    private readonly float[][] _columnWeights;
    private readonly object _gate = new();

    public int Scale { get; }
    public int Channels { get; }
    public int OutputHeight { get; }
    public int OutputWidth { get; }
    public BlendMode Mode { get; }

    public TileBlender(TilePlan plan, int scale, int channels, BlendMode mode)
    {
        _plan = plan;
        Scale = scale;
        Channels = channels;
        Mode = mode;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        // Checked before anything is allocated: above ~44.7 MP of input at ×4 the sums no longer fit one array.
        if (SizeProblem(plan.ImageHeight, plan.ImageWidth, scale, channels) is { } problem) throw new ArgumentException(problem, nameof(plan));
        OutputHeight = plan.ImageHeight * scale;
        OutputWidth = plan.ImageWidth * scale;
        _plane = OutputHeight * OutputWidth;
        _sum = new float[channels * _plane];
        _weight = new float[_plane];
        _rowWeights = AxisWeights(plan.RowStarts, plan.TileHeight, scale, mode);
        _columnWeights = AxisWeights(plan.ColumnStarts, plan.TileWidth, scale, mode);
    }

    /// <summary>
    /// Why the blend buffer for an LQ image of this size cannot exist (its C×H×W sums must fit one array),
    /// or null when it can. Long arithmetic: the sizes overflow int long before they overflow memory.
    /// </summary>
    public static string? SizeProblem(int lqHeight, int lqWidth, int scale, int channels)
    {
        long outH = (long)lqHeight * scale, outW = (long)lqWidth * scale;
        if (outH <= Array.MaxLength && outW <= Array.MaxLength && outH * outW <= Array.MaxLength / channels) return null;
        Int128 values = (Int128)outH * outW * channels;
        long largest = Array.MaxLength / channels / ((long)scale * scale);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"its ×{scale} output of {outW}×{outH}×{channels} = {values} values is more than one buffer can hold ({Array.MaxLength}); "
            + $"the largest input at ×{scale} is {largest / 1e6:F1} megapixels");
    }

    /// <summary>
    /// Adds tile <paramref name="tileIndex"/> of the plan. <paramref name="tileOutput"/> is C×S×S with
    /// S = <paramref name="tileStride"/> ≥ tile side × scale (the padded model output); only the image part is used.
    /// </summary>
    public void Add(int tileIndex, ReadOnlySpan<float> tileOutput, int tileStride)
    {
        TileRect tile = _plan.Tiles[tileIndex];
        int rowIndex = tileIndex / _plan.ColumnStarts.Count;
        int colIndex = tileIndex % _plan.ColumnStarts.Count;
        float[] wy = _rowWeights[rowIndex];
        float[] wx = _columnWeights[colIndex];
        int h = tile.Height * Scale, w = tile.Width * Scale;
        int oy0 = tile.Y * Scale, ox0 = tile.X * Scale;
        if (tileStride < h || tileStride < w || tileOutput.Length < Channels * tileStride * tileStride)
            throw new ArgumentException($"tile output of stride {tileStride} cannot hold a {w}×{h} tile");

        Span<float> weighted = w <= 2048 ? stackalloc float[w] : new float[w];
        lock (_gate)
        {
            for (int y = 0; y < h; y++)
            {
                int outRow = (oy0 + y) * OutputWidth + ox0;
                Span<float> weightRow = _weight.AsSpan(outRow, w);
                TensorPrimitives.MultiplyAdd(wx, wy[y], weightRow, weightRow);
                for (int c = 0; c < Channels; c++)
                {
                    ReadOnlySpan<float> src = tileOutput.Slice((c * tileStride + y) * tileStride, w);
                    Span<float> dst = _sum.AsSpan(c * _plane + outRow, w);
                    TensorPrimitives.Multiply(src, wx, weighted);
                    TensorPrimitives.MultiplyAdd(weighted, wy[y], dst, dst);
                }
            }
        }
    }

    /// <summary>True when every output pixel has received weight (every tile added at least once).</summary>
    public bool IsComplete()
    {
        lock (_gate) return TensorPrimitives.Min(_weight) > 0f;
    }

    /// <summary>Writes the normalised C×H×W output.</summary>
    public void Resolve(Span<float> output)
    {
        int plane = _plane;
        if (output.Length < (long)Channels * plane) throw new ArgumentException("output too small", nameof(output));
        lock (_gate)
        {
            if (TensorPrimitives.Min(_weight) <= 0f)
                throw new InvalidOperationException("some output pixels were covered by no tile");
            for (int c = 0; c < Channels; c++)
                TensorPrimitives.Divide(_sum.AsSpan(c * plane, plane), _weight, output.Slice(c * plane, plane));
        }
    }

    /// <summary>
    /// Normalises in place and hands over the C×H×W buffer, saving a second output-sized allocation.
    /// The blender must not be used afterwards.
    /// </summary>
    public float[] ResolveInPlace()
    {
        int plane = _plane;
        lock (_gate)
        {
            if (TensorPrimitives.Min(_weight) <= 0f)
                throw new InvalidOperationException("some output pixels were covered by no tile");
            for (int c = 0; c < Channels; c++)
            {
                Span<float> p = _sum.AsSpan(c * plane, plane);
                TensorPrimitives.Divide(p, _weight, p);
            }
            return _sum;
        }
    }

    private static float[][] AxisWeights(IReadOnlyList<int> starts, int length, int scale, BlendMode mode)
    {
        var result = new float[starts.Count][];
        int n = length * scale;
        for (int i = 0; i < starts.Count; i++)
        {
            var w = new float[n];
            Array.Fill(w, 1f);
            if (mode == BlendMode.Feather)
            {
                int before = i > 0 ? (starts[i - 1] + length - starts[i]) * scale : 0;
                int after = i < starts.Count - 1 ? (starts[i] + length - starts[i + 1]) * scale : 0;
                for (int p = 0; p < n; p++)
                {
                    double v = 1.0;
                    if (p < before) v *= RaisedCosine((p + 0.5) / before);
                    if (p >= n - after) v *= RaisedCosine((n - p - 0.5) / after);
                    w[p] = (float)v;
                }
            }
            result[i] = w;
        }
        return result;
    }

    private static double RaisedCosine(double u) => 0.5 - 0.5 * Math.Cos(Math.PI * u);
}
