namespace ResShift.Pipeline.Bird;

/// <summary>×f super-resolution: f×f average pooling per channel (256 → 32 for f = 8); the adjoint spreads r/f².</summary>
public sealed class AveragePoolDegradation : IDegradation
{
    private readonly int _channels, _height, _width, _factor;

    public AveragePoolDegradation(int channels, int height, int width, int factor)
    {
        if (height % factor != 0 || width % factor != 0) throw new ArgumentException($"{height}x{width} is not a multiple of the pooling factor {factor}");
        (_channels, _height, _width, _factor) = (channels, height, width, factor);
    }

    public int OutputLength => _channels * (_height / _factor) * (_width / _factor);

    public void Apply(ReadOnlySpan<float> image, Span<float> output)
    {
        int f = _factor, oh = _height / f, ow = _width / f;
        float inv = 1f / (f * f);
        for (int c = 0; c < _channels; c++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            float sum = 0;
            for (int dy = 0; dy < f; dy++)
            {
                ReadOnlySpan<float> row = image.Slice((c * _height + oy * f + dy) * _width + ox * f, f);
                sum += System.Numerics.Tensors.TensorPrimitives.Sum(row);
            }
            output[(c * oh + oy) * ow + ox] = sum * inv;
        }
    }

    public void AddAdjoint(ReadOnlySpan<float> residual, Span<float> image)
    {
        int f = _factor, oh = _height / f, ow = _width / f;
        float inv = 1f / (f * f);
        for (int c = 0; c < _channels; c++)
        for (int y = 0; y < _height; y++)
        {
            Span<float> row = image.Slice((c * _height + y) * _width, _width);
            ReadOnlySpan<float> src = residual.Slice((c * oh + y / f) * ow, ow);
            for (int x = 0; x < _width; x++) row[x] += src[x / f] * inv;
        }
    }
}
