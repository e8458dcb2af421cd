using System.Numerics.Tensors;

namespace ResShift.Pipeline.Bird;

/// <summary>Inpainting: H(x) = x ⊙ m with a binary mask m (1 = known) shared by the channels.</summary>
public sealed class MaskDegradation : IDegradation
{
    private readonly float[] _mask; // channels × plane, expanded once
    public MaskDegradation(ReadOnlySpan<float> mask, int channels)
    {
        _mask = new float[mask.Length * channels];
        for (int c = 0; c < channels; c++) mask.CopyTo(_mask.AsSpan(c * mask.Length));
    }

    public int OutputLength => _mask.Length;

    public void Apply(ReadOnlySpan<float> image, Span<float> output) => TensorPrimitives.Multiply(image[.._mask.Length], _mask, output);

    public void AddAdjoint(ReadOnlySpan<float> residual, Span<float> image) =>
        TensorPrimitives.FusedMultiplyAdd(residual[.._mask.Length], _mask, image[.._mask.Length], image[.._mask.Length]);
}
