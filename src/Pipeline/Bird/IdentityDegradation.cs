namespace ResShift.Pipeline.Bird;

/// <summary>Denoising and (as released) non-uniform deblurring: H = I.</summary>
public sealed class IdentityDegradation(int length) : IDegradation
{
    public int OutputLength => length;

    public void Apply(ReadOnlySpan<float> image, Span<float> output) => image[..length].CopyTo(output);

    public void AddAdjoint(ReadOnlySpan<float> residual, Span<float> image) =>
        System.Numerics.Tensors.TensorPrimitives.Add(image[..length], residual[..length], image[..length]);
}
